// Package config reads volplace's versioned configuration file: rule
// switches, score weights and (later) webhook policies.
package config

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/volplace/volplace/topology"
	rulesconfig "github.com/volplace/volplace/topology/config"
	"github.com/volplace/volplace/webhook"
)

// Version and kind of the configuration file.
const (
	APIVersion = "config.volplace.io/v1alpha1"
	Kind       = "VolplaceConfiguration"
)

// Configuration is the file passed with `volplace serve --config`.
type Configuration struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Rules and Scoring are the rules' options, as the scheduler plugin's
	// arguments give them too.
	Rules   rulesconfig.Rules   `json:"rules"`
	Scoring rulesconfig.Scoring `json:"scoring"`
	Webhook Webhook             `json:"webhook"`
}

// Webhook holds the admission policies.
type Webhook struct {
	// DefaultStorageClassPolicy chooses among several default classes:
	// newest (kube-apiserver's behaviour, the default) or reject.
	DefaultStorageClassPolicy string `json:"defaultStorageClassPolicy,omitempty"`
	// EnforceAccessModes denies claims whose access modes the provisioner
	// does not support; false only warns. Default true.
	EnforceAccessModes *bool `json:"enforceAccessModes,omitempty"`
	// AccessModes add to or override the built-in provisioner table.
	AccessModes []ProvisionerAccessModes `json:"accessModes,omitempty"`
	// DeletionGuard configures the in-use deletion guard.
	DeletionGuard DeletionGuard `json:"deletionGuard"`
	// BindingModes force a StorageClass volumeBindingMode per provisioner.
	BindingModes map[string]string `json:"bindingModes,omitempty"`
	// TopologyWaitForFirstConsumer sets WaitForFirstConsumer on new classes
	// whose CSI driver declares topology keys. Default true.
	TopologyWaitForFirstConsumer *bool `json:"topologyWaitForFirstConsumer,omitempty"`
	// RewriteNodeName turns spec.nodeName into node affinity for pods with
	// unbound WaitForFirstConsumer claims. Default true.
	RewriteNodeName *bool `json:"rewriteNodeName,omitempty"`
	// ExtenderResource adds the volplace.io/storage extended resource to pods
	// with claims, for kube-scheduler's managedResources. Default false.
	ExtenderResource *bool `json:"extenderResource,omitempty"`
	// SchedulerName, when set, is given to pods with claims that would go
	// to the default scheduler (pods labeled volplace.io/scheduler-opt-out:
	// "true" keep it): the secondary scheduler on managed clusters.
	SchedulerName string `json:"schedulerName,omitempty"`
}

// ProvisionerAccessModes lists what one provisioner supports.
type ProvisionerAccessModes struct {
	Provisioner string   `json:"provisioner"`
	Filesystem  []string `json:"filesystem"`
	// Block lists the modes for raw block volumes; empty means Block is not
	// supported.
	Block []string `json:"block,omitempty"`
}

// DeletionGuard configures the in-use deletion guard.
type DeletionGuard struct {
	// Enabled denies deleting a claim that pods use. Default true.
	Enabled *bool `json:"enabled,omitempty"`
	// CountFinishedPods makes Succeeded and Failed pods count as users.
	// Default false.
	CountFinishedPods *bool `json:"countFinishedPods,omitempty"`
}

// TopologyOptions returns the evaluator options the configuration selects,
// with defaults for what it leaves unset.
func (c *Configuration) TopologyOptions() topology.Options {
	return rulesconfig.Options(topology.DefaultOptions(), &c.Rules, &c.Scoring)
}

// set copies *src to *dst when src is set.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// WebhookOptions returns the admission policies the configuration selects,
// with defaults for what it leaves unset.
func (c *Configuration) WebhookOptions() webhook.Options {
	o := webhook.DefaultOptions()
	w := c.Webhook
	if w.DefaultStorageClassPolicy != "" {
		o.DefaultClassPolicy = webhook.DefaultClassPolicy(w.DefaultStorageClassPolicy)
	}
	set(&o.EnforceAccessModes, w.EnforceAccessModes)
	set(&o.DeletionGuard, w.DeletionGuard.Enabled)
	set(&o.CountFinishedPods, w.DeletionGuard.CountFinishedPods)
	set(&o.TopologyWaitForFirstConsumer, w.TopologyWaitForFirstConsumer)
	set(&o.RewriteNodeName, w.RewriteNodeName)
	set(&o.ExtenderResource, w.ExtenderResource)
	o.SchedulerName = w.SchedulerName
	if len(w.AccessModes) > 0 {
		o.Capabilities = map[string]webhook.Capabilities{}
		for _, p := range w.AccessModes {
			o.Capabilities[p.Provisioner] = webhook.Capabilities{Filesystem: accessModes(p.Filesystem), Block: accessModes(p.Block)}
		}
	}
	if len(w.BindingModes) > 0 {
		o.BindingModes = map[string]storagev1.VolumeBindingMode{}
		for p, m := range w.BindingModes {
			o.BindingModes[p] = storagev1.VolumeBindingMode(m)
		}
	}
	return o
}

func accessModes(ms []string) []corev1.PersistentVolumeAccessMode {
	out := make([]corev1.PersistentVolumeAccessMode, len(ms))
	for i, m := range ms {
		out[i] = corev1.PersistentVolumeAccessMode(m)
	}
	return out
}
