package webhook

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// DefaultClassPolicy chooses among several default StorageClasses.
type DefaultClassPolicy string

const (
	// PolicyNewest picks the newest default class, then the first by name,
	// as kube-apiserver does.
	PolicyNewest DefaultClassPolicy = "newest"
	// PolicyReject denies the claim and names the defaults.
	PolicyReject DefaultClassPolicy = "reject"
)

// Options are the webhook policies of the configuration file.
type Options struct {
	DefaultClassPolicy DefaultClassPolicy
	// EnforceAccessModes denies claims whose access modes or volume mode
	// the class's provisioner does not support (else a warning).
	EnforceAccessModes bool
	// Capabilities extend and override the built-in provisioner table.
	Capabilities map[string]Capabilities
	// DeletionGuard denies deleting a claim that pods use.
	DeletionGuard bool
	// CountFinishedPods makes Succeeded and Failed pods count as users.
	CountFinishedPods bool
	// BindingModes force a StorageClass volumeBindingMode per provisioner.
	BindingModes map[string]storagev1.VolumeBindingMode
	// TopologyWaitForFirstConsumer sets WaitForFirstConsumer for classes
	// whose CSI driver declares topology keys on its nodes.
	TopologyWaitForFirstConsumer bool
	// RewriteNodeName turns spec.nodeName into node affinity for pods with
	// unbound WaitForFirstConsumer claims.
	RewriteNodeName bool
	// ExtenderResource adds StorageResource to pods with claims.
	ExtenderResource bool
	// SchedulerName, when set, is given to pods with claims that would go
	// to the default scheduler, unless they carry LabelSchedulerOptOut: the
	// secondary scheduler that calls volplace on managed clusters.
	SchedulerName string
}

// DefaultOptions returns every rule on with the apiserver's default-class
// policy.
func DefaultOptions() Options {
	return Options{
		DefaultClassPolicy:           PolicyNewest,
		EnforceAccessModes:           true,
		DeletionGuard:                true,
		TopologyWaitForFirstConsumer: true,
		RewriteNodeName:              true,
	}
}

// Capabilities are the access modes a provisioner supports per volume mode;
// no Block modes means Block volumes are not supported.
type Capabilities struct {
	Filesystem []corev1.PersistentVolumeAccessMode
	Block      []corev1.PersistentVolumeAccessMode
}
