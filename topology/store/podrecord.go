package store

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology"
)

// podRecord is what the cache keeps of a pod: its identity, node, phase and
// claim volumes, a fraction of a Pod's size. Pods are most of a cluster's
// objects, and most of what they hold (containers, tolerations, status)
// means nothing to volplace. A pod's volumes never change, so a record
// stays exact for the pod's life.
type podRecord struct {
	metav1.ObjectMeta
	NodeName string
	Phase    corev1.PodPhase
	Volumes  []podVolume
	// Inline are its inline volumes of in-tree plugins that CSI migration
	// attaches through a CSI driver.
	Inline []corev1.Volume
}

// podVolume is a claim volume of a pod.
type podVolume struct {
	// Name is the volume's name; Claim the claim it uses, derived from the
	// pod's and the volume's names for a generic ephemeral volume.
	Name, Claim string
	Ephemeral   bool
}

// newPodRecord keeps what volplace reads of a pod.
func newPodRecord(p *corev1.Pod) *podRecord {
	r := &podRecord{ObjectMeta: trimmedMeta(&p.ObjectMeta), NodeName: p.Spec.NodeName, Phase: p.Status.Phase}
	for i := range p.Spec.Volumes {
		v := &p.Spec.Volumes[i]
		if claim := topology.ClaimName(p, v); claim != "" {
			r.Volumes = append(r.Volumes, podVolume{Name: v.Name, Claim: claim, Ephemeral: v.Ephemeral != nil})
		} else if topology.AttachableInline(v) {
			r.Inline = append(r.Inline, *v.DeepCopy())
		}
	}
	return r
}

// pod returns the record as a Pod with the fields volplace reads.
func (r *podRecord) pod() *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: *r.DeepCopy(), // ObjectMeta's DeepCopy
		Spec:       corev1.PodSpec{NodeName: r.NodeName},
		Status:     corev1.PodStatus{Phase: r.Phase},
	}
	for _, v := range r.Volumes {
		vol := corev1.Volume{Name: v.Name}
		if v.Ephemeral {
			vol.Ephemeral = &corev1.EphemeralVolumeSource{}
		} else {
			vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Claim}
		}
		p.Spec.Volumes = append(p.Spec.Volumes, vol)
	}
	p.Spec.Volumes = append(p.Spec.Volumes, r.Inline...)
	return p
}

// GetObjectKind implements runtime.Object.
func (r *podRecord) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject implements runtime.Object.
func (r *podRecord) DeepCopyObject() runtime.Object {
	c := *r
	c.ObjectMeta = *r.DeepCopy() // ObjectMeta's DeepCopy
	c.Volumes = append([]podVolume(nil), r.Volumes...)
	c.Inline = append([]corev1.Volume(nil), r.Inline...)
	return &c
}

// pods returns the pods among objs as Pods: records as the Pods they
// stand for, Pods (an informer shared without CacheTransform, NewShared)
// as they are.
func pods(objs []any) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(objs))
	for _, obj := range objs {
		switch o := obj.(type) {
		case *podRecord:
			out = append(out, o.pod())
		case *corev1.Pod:
			out = append(out, o)
		}
	}
	return out
}

// asRecord returns a cached pod as a record: the record CacheTransform
// stored, or one built from a Pod that an informer shared with another
// component (NewShared) stores whole.
func asRecord(obj any) (*podRecord, bool) {
	switch o := obj.(type) {
	case *podRecord:
		return o, true
	case *corev1.Pod:
		return newPodRecord(o), true
	}
	return nil, false
}

// records returns the pods among objs as records.
func records(objs []any) []*podRecord {
	out := make([]*podRecord, 0, len(objs))
	for _, obj := range objs {
		if r, ok := asRecord(obj); ok {
			out = append(out, r)
		}
	}
	return out
}

// onPod calls f with the event's pod as a record, unwrapping a deletion
// whose final state is unknown.
func onPod(obj any, f func(*podRecord)) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if r, ok := asRecord(obj); ok {
		f(r)
	}
}
