package topology

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// CacheTransform trims an object before an informer stores it, to what
// volplace reads: managed fields go from every object, and Pods and Nodes,
// most of the cache, keep only the fields the rules and webhooks use. Use it
// with informers.WithTransform; it is idempotent, as client-go requires.
func CacheTransform(obj any) (any, error) {
	if _, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return obj, nil
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return trimPod(o), nil
	case *corev1.Node:
		return trimNode(o), nil
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

// trimPod keeps a pod's node, phase and claims: what decides which volumes
// it holds where. Containers, which make most of a pod's size, go.
func trimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta:   p.TypeMeta,
		ObjectMeta: trimmedMeta(&p.ObjectMeta),
		Spec:       corev1.PodSpec{NodeName: p.Spec.NodeName},
		Status:     corev1.PodStatus{Phase: p.Status.Phase},
	}
	for _, v := range p.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out.Spec.Volumes = append(out.Spec.Volumes, v)
		case v.Ephemeral != nil:
			// The claim's name derives from the pod's and the volume's;
			// its template is the ephemeral volume controller's business.
			out.Spec.Volumes = append(out.Spec.Volumes, corev1.Volume{Name: v.Name,
				VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}})
		}
	}
	return out
}

// trimNode keeps a node's labels, which topology and node affinity match,
// and its allocatable resources, which may carry CSI attach limits. Images,
// conditions and addresses go.
func trimNode(n *corev1.Node) *corev1.Node {
	meta := trimmedMeta(&n.ObjectMeta)
	meta.Labels = n.Labels
	return &corev1.Node{
		TypeMeta:   n.TypeMeta,
		ObjectMeta: meta,
		Status:     corev1.NodeStatus{Allocatable: n.Status.Allocatable},
	}
}
