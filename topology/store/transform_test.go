package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

func TestCacheTransform(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	fullPod := st.MakePod("web").PVC("data").Node("n1").Obj()
	fullPod.UID, fullPod.ResourceVersion, fullPod.ManagedFields = "u1", "42", managed
	fullPod.Labels = map[string]string{"app": "web"}
	fullPod.Status.Phase = corev1.PodRunning
	fullPod.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx"}}
	fullPod.Spec.Volumes = append(fullPod.Spec.Volumes,
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
			VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{}}}},
		corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}})
	fullPod.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1", UID: "rs"}}

	fullNode := st.MakeNode("n1").Zone("a").Obj()
	fullNode.ResourceVersion, fullNode.ManagedFields = "7", managed
	fullNode.Annotations = map[string]string{"node.alpha.kubernetes.io/ttl": "0"}
	fullNode.Status.Allocatable = corev1.ResourceList{"attachable-volumes-csi-x": resource.MustParse("16")}
	fullNode.Status.Images = []corev1.ContainerImage{{Names: []string{"nginx"}, SizeBytes: 1}}
	fullNode.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	fullNode.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}

	pvc := st.MakePVC("data").Obj()
	pvc.ManagedFields = managed

	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "node keeps labels and allocatable",
			in:   fullNode,
			want: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: "7", Labels: fullNode.Labels},
				Status:     corev1.NodeStatus{Allocatable: fullNode.Status.Allocatable},
			},
		},
		{
			name: "other objects lose managed fields only",
			in:   pvc,
			want: st.MakePVC("data").Obj(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.CacheTransform(tt.in.DeepCopyObject())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("trimmed (-want,+got):\n%s", diff)
			}
			again, err := store.CacheTransform(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("not idempotent (-once,+twice):\n%s", diff)
			}
		})
	}
	t.Run("unknown final state passes through", func(t *testing.T) {
		d := cache.DeletedFinalStateUnknown{Key: "default/web", Obj: fullPod}
		got, err := store.CacheTransform(d)
		if err != nil || got != any(d) {
			t.Errorf("CacheTransform(%v) = %v, %v", d, got, err)
		}
	})
}

// TestCacheTransformKeepsDecisions evaluates pods over a cluster stored as
// is and trimmed: every node's outcome and score must be the same.
func TestCacheTransformKeepsDecisions(t *testing.T) {
	objs := st.LargeCluster(st.ClusterSize{Nodes: 60, Zones: 3, Pods: 120, Claims: 60})
	trimmed := make([]runtime.Object, len(objs))
	for i, o := range objs {
		out, err := store.CacheTransform(o.DeepCopyObject())
		if err != nil {
			t.Fatal(err)
		}
		trimmed[i] = out.(runtime.Object)
	}
	for claims := 1; claims <= 3; claims++ {
		pod := st.PendingPod(claims)
		want := evaluate(t, objs, pod)
		got := evaluate(t, trimmed, pod)
		byNode := cmpopts.SortSlices(func(a, b topology.NodeResult) bool { return a.Node < b.Node })
		if diff := cmp.Diff(want, got, byNode); diff != "" {
			t.Errorf("%d claim(s): results (-as is,+trimmed):\n%s", claims, diff)
		}
	}
}
