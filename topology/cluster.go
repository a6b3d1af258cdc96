package topology

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// Cluster is what the rules read of the cluster: the objects they look up,
// by the keys they look them up by, and the counts the hot path reads
// instead of walking objects. Package store implements it over informer
// caches (the servers) and over objects loaded from files (simulate,
// explain, tests).
//
// Implementations must be safe for concurrent use and must not call the API
// server. Returned objects are shared: never modify them.
type Cluster interface {
	// Node returns a node by name.
	Node(name string) (*corev1.Node, bool)
	// Nodes lists every node.
	Nodes() []*corev1.Node
	// NodeInfo returns the named node with its CSINode, without allocating:
	// the extender's lookup of each candidate.
	NodeInfo(name []byte) (*NodeInfo, bool)
	// NodeInfos sets refs[i] to the node named names[i] (a nil Info when
	// there is none): NodeInfo for many names, faster when the store is
	// not in the CPU caches.
	NodeInfos(names [][]byte, refs []NodeRef)
	// NodeIndexLimit is more than the NodeInfo.Index of every node held so
	// far.
	NodeIndexLimit() int

	CSINode(name string) (*storagev1.CSINode, bool)
	CSIDriver(name string) (*storagev1.CSIDriver, bool)
	StorageClass(name string) (*storagev1.StorageClass, bool)
	StorageClasses() []*storagev1.StorageClass
	PersistentVolume(name string) (*corev1.PersistentVolume, bool)
	PersistentVolumeClaim(namespace, name string) (*corev1.PersistentVolumeClaim, bool)

	// UnboundPersistentVolumes lists the PVs of a storage class ("" for PVs
	// without one) that are not Bound: the static binding candidates.
	UnboundPersistentVolumes(class string) []*corev1.PersistentVolume
	// CapacityIndex returns the class's CSIStorageCapacity objects compiled
	// for lookup by node, with what placements took from them
	// (NewCapacityIndex), kept until either changes.
	CapacityIndex(class string) *CapacityIndex
	// PodsByClaim lists the pods that use a claim, directly or as a
	// generic ephemeral volume.
	PodsByClaim(namespace, claim string) []*corev1.Pod
	// AttachmentsByPersistentVolume lists the VolumeAttachments of a PV.
	AttachmentsByPersistentVolume(pv string) []*storagev1.VolumeAttachment
	// VolumesInUse reports how many unique volumes of a CSI driver the
	// node's non-terminated pods and VolumeAttachments hold, counted as
	// PodVolumes and AttachmentVolume say.
	VolumesInUse(node, driver string) int
	// VolumeNodes returns, sorted, the nodes whose pods or
	// VolumeAttachments hold a volume, by its VolumeKey.Key.
	VolumeNodes(key string) []string
	// VolumePodNodes returns, sorted, the nodes whose pods use a volume.
	VolumePodNodes(key string) []string
}

// NodeRef is a node found by name in a Cluster, with what the lookup itself
// holds of it: a lookup does not read the NodeInfo.
type NodeRef struct {
	// Info is nil when the cluster holds no Node of the name.
	Info  *NodeInfo
	Index int // Info.Index
	Name  string
}

// NodeLabelIndex is implemented by a Cluster that lists its nodes by label
// (NodeInfo.Index lists): the volume node affinity rule then computes the
// nodes a PV admits once per pod, without reading each node
// (nodeaffinity_index.go).
type NodeLabelIndex interface {
	// NodeLabels returns the lists read-locked: they stay consistent, and
	// must not be kept or modified, until Release.
	NodeLabels() NodeLabelLists
}

// NodeLabelLists are a Cluster's nodes by label, each list sorted by
// NodeInfo.Index.
type NodeLabelLists interface {
	// Limit is more than every index in the lists: nodes with a greater
	// index are newer than the lists.
	Limit() int
	// All lists every node.
	All() []int32
	// WithKey lists the nodes that have a label key.
	WithKey(key string) []int32
	// WithLabel lists the nodes with a label key and value.
	WithLabel(key, value string) []int32
	// Release ends the read: the lists may change after it.
	Release()
}
