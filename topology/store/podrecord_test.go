package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPodRecord checks that a pod kept as a record gives back its identity,
// node, phase and claim volumes, and nothing else.
func TestPodRecord(t *testing.T) {
	full := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "default", UID: "u1", ResourceVersion: "42",
			Labels:          map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1", UID: "rs"}},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubelet"}},
		},
		Spec: corev1.PodSpec{
			NodeName:   "n1",
			Containers: []corev1.Container{{Name: "c", Image: "nginx"}},
			Volumes: []corev1.Volume{
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-0", ReadOnly: true}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{}}}},
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
			},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"},
	}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "u1", ResourceVersion: "42", OwnerReferences: full.OwnerReferences},
		Spec: corev1.PodSpec{NodeName: "n1", Volumes: []corev1.Volume{
			{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-0"}}},
			{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
		}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	obj, err := CacheTransform(full)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := obj.(*podRecord)
	if !ok {
		t.Fatalf("CacheTransform kept a %T, want a record", obj)
	}
	if diff := cmp.Diff(want, r.pod()); diff != "" {
		t.Errorf("pod from the record (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff([]podVolume{{Name: "data", Claim: "data-0"}, {Name: "scratch", Claim: "web-scratch", Ephemeral: true}}, r.Volumes); diff != "" {
		t.Errorf("claims (-want,+got):\n%s", diff)
	}
	again, err := CacheTransform(r)
	if err != nil || again != any(r) {
		t.Errorf("CacheTransform(record) = %v, %v; want the record itself", again, err)
	}
	c := r.DeepCopyObject().(*podRecord)
	c.Volumes[0].Claim, c.Name = "changed", "changed"
	if r.Volumes[0].Claim != "data-0" || r.Name != "web" {
		t.Error("DeepCopyObject shares memory with the original")
	}
}
