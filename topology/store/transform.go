package store

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology"
)

// CacheTransform trims an object before an informer stores it, to what
// volplace reads: managed fields go from every object, Nodes keep only the
// fields the rules use, and Pods, most of the cache, are kept as compact
// records. Use it with informers.WithTransform on the informers of
// New; it is idempotent, as client-go requires.
func CacheTransform(obj any) (any, error) {
	switch o := obj.(type) {
	case cache.DeletedFinalStateUnknown, *podRecord:
		return obj, nil
	case *corev1.Pod:
		return newPodRecord(o), nil
	case *corev1.Node:
		return trimNode(o), nil
	case *storagev1.CSINode:
		internTopologyKeys(o)
	case *storagev1.StorageClass:
		internAllowedTopologies(o)
	case *storagev1.CSIStorageCapacity:
		// Capacity accounting needs when the driver last wrote it.
		if t := topology.LastWritten(&o.ObjectMeta); t.After(o.CreationTimestamp.Time) {
			o.ManagedFields = []metav1.ManagedFieldsEntry{{Time: &metav1.Time{Time: t}}}
			return obj, nil
		}
	}
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// trimmedMeta keeps an object's identity, version and owners.
func trimmedMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:              m.Name,
		Namespace:         m.Namespace,
		UID:               m.UID,
		ResourceVersion:   m.ResourceVersion,
		Generation:        m.Generation,
		CreationTimestamp: m.CreationTimestamp,
		DeletionTimestamp: m.DeletionTimestamp,
		OwnerReferences:   m.OwnerReferences,
	}
}

// trimNode keeps a node's labels, which topology and node affinity match,
// and its allocatable resources, which may carry CSI attach limits. Images,
// conditions and addresses go.
func trimNode(n *corev1.Node) *corev1.Node {
	meta := trimmedMeta(&n.ObjectMeta)
	meta.Name = intern(n.Name) // as the usage index's node names
	meta.Labels = internLabels(n.Labels)
	return &corev1.Node{
		TypeMeta:   n.TypeMeta,
		ObjectMeta: meta,
		Status:     corev1.NodeStatus{Allocatable: n.Status.Allocatable},
	}
}

// internTopologyKeys interns the label keys a CSINode's drivers declare,
// which the rules look up in node labels.
func internTopologyKeys(c *storagev1.CSINode) {
	for i := range c.Spec.Drivers {
		for j, k := range c.Spec.Drivers[i].TopologyKeys {
			c.Spec.Drivers[i].TopologyKeys[j] = intern(k)
		}
	}
}

// internAllowedTopologies interns the keys and values of a class's
// allowedTopologies, which the rules look up in node labels.
func internAllowedTopologies(c *storagev1.StorageClass) {
	for i := range c.AllowedTopologies {
		exprs := c.AllowedTopologies[i].MatchLabelExpressions
		for j := range exprs {
			exprs[j].Key = intern(exprs[j].Key)
			for k, v := range exprs[j].Values {
				exprs[j].Values[k] = intern(v)
			}
		}
	}
}
