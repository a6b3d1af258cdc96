package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	schedulerconfigv1 "k8s.io/kube-scheduler/config/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

func TestSchedulerConfig(t *testing.T) {
	type summary struct {
		QPS       float32
		Enabled   []string
		Disabled  []string
		Extenders int
		URL       string
		Managed   []schedulerconfigv1.ExtenderManagedResource
		Timeout   time.Duration
	}
	tests := []struct {
		variant string
		want    summary
	}{
		{variant: "none", want: summary{QPS: 100}},
		{variant: "none-only", want: summary{QPS: 100, Disabled: volumePlugins}},
		{variant: "noop", want: summary{QPS: 100, Extenders: 1, URL: "http://127.0.0.1:1", Timeout: extenderTimeout}},
		{variant: "plugin", want: summary{QPS: 100, Enabled: []string{"Volplace"}, Disabled: []string{"VolumeZone", "NodeVolumeLimits", "VolumeRestrictions"}}},
		{variant: "volplace-only-managed", want: summary{
			QPS: 100, Disabled: volumePlugins, Extenders: 1, URL: "http://127.0.0.1:1", Timeout: extenderTimeout,
			Managed: []schedulerconfigv1.ExtenderManagedResource{{Name: "volplace.io/storage", IgnoredByScheduler: true}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			v, err := ParseVariant(tt.variant)
			if err != nil {
				t.Fatal(err)
			}
			data, err := schedulerConfig{Variant: v, Kubeconfig: "/k", ExtenderURL: "http://127.0.0.1:1", QPS: 100}.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var cfg schedulerconfigv1.KubeSchedulerConfiguration
			if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
				t.Fatalf("decoding:\n%s\n%v", data, err)
			}
			if cfg.Kind != "KubeSchedulerConfiguration" || cfg.APIVersion != "kubescheduler.config.k8s.io/v1" ||
				ptr.Deref(cfg.LeaderElection.LeaderElect, true) || cfg.ClientConnection.Kubeconfig != "/k" || len(cfg.Profiles) != 1 {
				t.Errorf("unexpected header, leader election, kubeconfig or profiles:\n%s", data)
			}
			got := summary{QPS: cfg.ClientConnection.QPS, Extenders: len(cfg.Extenders)}
			if cfg.ClientConnection.Burst != 100 {
				t.Errorf("burst = %d, want 100", cfg.ClientConnection.Burst)
			}
			if p := cfg.Profiles[0].Plugins; p != nil {
				for _, e := range p.MultiPoint.Enabled {
					got.Enabled = append(got.Enabled, e.Name)
				}
				for _, d := range p.MultiPoint.Disabled {
					got.Disabled = append(got.Disabled, d.Name)
				}
			}
			if len(cfg.Extenders) == 1 {
				e := cfg.Extenders[0]
				got.URL, got.Managed, got.Timeout = e.URLPrefix, e.ManagedResources, e.HTTPTimeout.Duration
				if e.FilterVerb != "filter" || e.PrioritizeVerb != "prioritize" || e.Weight != 1 || !e.NodeCacheCapable || e.Ignorable {
					t.Errorf("extender verbs, weight, nodeCacheCapable or ignorable are off: %+v", e)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("configuration (-want,+got):\n%s", diff)
			}
		})
	}
}
