// Package config reads volplace's versioned configuration file: rule
// switches, score weights and (later) webhook policies.
package config

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/webhook"
)

// Version and kind of the configuration file.
const (
	APIVersion = "config.volplace.io/v1alpha1"
	Kind       = "VolplaceConfiguration"
)

// Configuration is the file passed with `volplace serve --config`.
type Configuration struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Rules      Rules   `json:"rules"`
	Scoring    Scoring `json:"scoring"`
	Webhook    Webhook `json:"webhook"`
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

// Rules switch the placement rules that go beyond kube-scheduler.
type Rules struct {
	// RequireCSIDriver rejects nodes whose CSINode lacks a CSI driver the
	// pod's volumes need. Default true.
	RequireCSIDriver *bool `json:"requireCSIDriver,omitempty"`
	// ReadWriteOnceGuard pins a pod to the node where its single-node volume
	// is attached or in use. Default true.
	ReadWriteOnceGuard *bool `json:"readWriteOnceGuard,omitempty"`
	// InTreeVolumeLimits counts CSI attach limits as kube-scheduler's
	// NodeVolumeLimits plugin does, which runs next to volplace in
	// kube-scheduler's default profile; set false for a profile that
	// disables kube-scheduler's volume plugins. Default true.
	InTreeVolumeLimits *bool `json:"inTreeVolumeLimits,omitempty"`
	// CapacityRefresh is how long a provisioned volume counts against its
	// CSIStorageCapacity after its PV was created, when the driver has not
	// rewritten the capacity since. Default 2m.
	CapacityRefresh *metav1.Duration `json:"capacityRefresh,omitempty"`
}

// Scoring tunes the prioritize verb.
type Scoring struct {
	Weights       *Weights     `json:"weights,omitempty"`
	CapacityShape []ShapePoint `json:"capacityShape,omitempty"`
}

// Weights weigh the score components, 0..100; 0 turns one off. Default 1
// each.
type Weights struct {
	Locality       *int64 `json:"locality,omitempty"`
	Capacity       *int64 `json:"capacity,omitempty"`
	AttachHeadroom *int64 `json:"attachHeadroom,omitempty"`
}

// ShapePoint is one point of the capacity scoring function.
type ShapePoint struct {
	Utilization int64 `json:"utilization"`
	Score       int64 `json:"score"`
}

// TopologyOptions returns the evaluator options the configuration selects,
// with defaults for what it leaves unset.
func (c *Configuration) TopologyOptions() topology.Options {
	o := topology.DefaultOptions()
	set(&o.RequireCSIDriver, c.Rules.RequireCSIDriver)
	set(&o.ReadWriteOnceGuard, c.Rules.ReadWriteOnceGuard)
	set(&o.InTreeVolumeLimits, c.Rules.InTreeVolumeLimits)
	if d := c.Rules.CapacityRefresh; d != nil {
		o.CapacityRefresh = d.Duration
	}
	if w := c.Scoring.Weights; w != nil {
		set(&o.Weights.Locality, w.Locality)
		set(&o.Weights.Capacity, w.Capacity)
		set(&o.Weights.AttachHeadroom, w.AttachHeadroom)
	}
	if len(c.Scoring.CapacityShape) > 0 {
		o.CapacityShape = make([]topology.ShapePoint, len(c.Scoring.CapacityShape))
		for i, p := range c.Scoring.CapacityShape {
			o.CapacityShape[i] = topology.ShapePoint{Utilization: p.Utilization, Score: p.Score}
		}
	}
	return o
}

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
