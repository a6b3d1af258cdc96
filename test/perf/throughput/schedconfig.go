package main

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	schedulerconfigv1 "k8s.io/kube-scheduler/config/v1"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/plugin"
	"github.com/volplace/volplace/webhook"
)

// storageResource is the extended resource of volplace's managedResources
// gating (the pod webhook adds it with webhook.extenderResource: true).
const storageResource = webhook.StorageResource

// volumePlugins are the in-tree plugins an -only variant disables, leaving
// volumes to the extender.
var volumePlugins = []string{"VolumeBinding", "VolumeZone", "NodeVolumeLimits", "VolumeRestrictions"}

// pluginReplaces are the in-tree plugins volplace-scheduler's profile
// disables: the Volplace plugin covers them, VolumeBinding binds.
var pluginReplaces = []string{"VolumeZone", "NodeVolumeLimits", "VolumeRestrictions"}

// volplacePlugin is the name volplace-scheduler registers its plugin under.
const volplacePlugin = plugin.Name

// extenderTimeout is the extenders' httpTimeout: far above any answer time,
// so that a slow answer shows as a low rate rather than as failures.
const extenderTimeout = 5 * time.Second

// schedulerConfig holds what a KubeSchedulerConfiguration depends on.
type schedulerConfig struct {
	Variant    Variant
	Kubeconfig string
	// ExtenderURL is the extender's base URL; unused without one.
	ExtenderURL string
	// QPS is the client's qps and burst.
	QPS int
}

// YAML returns the KubeSchedulerConfiguration of one run: the default
// profile, leader election off, and the variant's extender: not ignorable
// (a failing extender fails the run instead of being skipped), weight 1,
// nodeCacheCapable. Only the fields set are written: the API types of this
// module may be newer than the kube-scheduler under test, which decodes
// strictly and would refuse fields it does not know, even empty ones.
func (c schedulerConfig) YAML() ([]byte, error) {
	profile := map[string]any{"schedulerName": "default-scheduler"}
	plugins := func(names []string) []schedulerconfigv1.Plugin {
		out := make([]schedulerconfigv1.Plugin, 0, len(names))
		for _, name := range names {
			out = append(out, schedulerconfigv1.Plugin{Name: name})
		}
		return out
	}
	switch {
	case c.Variant.Plugin:
		profile["plugins"] = map[string]any{"multiPoint": map[string]any{
			"enabled":  plugins([]string{volplacePlugin}),
			"disabled": plugins(pluginReplaces),
		}}
	case c.Variant.ExtenderOnly:
		profile["plugins"] = map[string]any{"multiPoint": map[string]any{"disabled": plugins(volumePlugins)}}
	}
	cfg := map[string]any{
		"apiVersion":       schedulerconfigv1.SchemeGroupVersion.String(),
		"kind":             "KubeSchedulerConfiguration",
		"leaderElection":   map[string]any{"leaderElect": false},
		"clientConnection": map[string]any{"kubeconfig": c.Kubeconfig, "qps": c.QPS, "burst": c.QPS},
		"profiles":         []any{profile},
	}
	if c.Variant.Extender != ExtenderNone {
		ext := schedulerconfigv1.Extender{
			URLPrefix:        c.ExtenderURL,
			FilterVerb:       extender.FilterPath[1:],
			PrioritizeVerb:   extender.PrioritizePath[1:],
			Weight:           1,
			NodeCacheCapable: true,
			HTTPTimeout:      metav1.Duration{Duration: extenderTimeout},
		}
		if c.Variant.Managed {
			ext.ManagedResources = []schedulerconfigv1.ExtenderManagedResource{{Name: storageResource, IgnoredByScheduler: true}}
		}
		cfg["extenders"] = []schedulerconfigv1.Extender{ext}
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the KubeSchedulerConfiguration: %w", err)
	}
	return data, nil
}
