package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// TestNewSharedKeepsTheOwnersObjects checks that a store over informers
// another component owns leaves what that component reads alone: its
// transform stays, and its informers keep whole Pods and Nodes, which the
// store still answers from.
func TestNewSharedKeepsTheOwnersObjects(t *testing.T) {
	tainted := st.MakeNode("n1").Obj()
	tainted.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}
	client := fake.NewClientset(
		tainted,
		st.MakePVC("data").Obj(),
		st.MakePod("web").PVC("data").Node("n1").Obj(),
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	owned := 0
	pods := factory.Core().V1().Pods().Informer()
	// The owner's transform, as kube-scheduler sets on its pod informer.
	if err := pods.SetTransform(func(obj any) (any, error) {
		owned++
		if m, err := meta.Accessor(obj); err == nil {
			m.SetManagedFields(nil)
		}
		return obj, nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := store.NewShared(factory)
	if err != nil {
		t.Fatalf("NewShared: %v", err)
	}
	factory.Start(t.Context().Done())
	if !cache.WaitForCacheSync(t.Context().Done(), s.Synced()...) {
		t.Fatal("caches did not sync")
	}
	if owned == 0 {
		t.Error("the owner's transform did not run: NewShared replaced it")
	}
	for _, obj := range pods.GetStore().List() {
		if _, ok := obj.(*corev1.Pod); !ok {
			t.Errorf("the pod informer holds a %T, want *v1.Pod", obj)
		}
	}
	if node, err := factory.Core().V1().Nodes().Lister().Get("n1"); err != nil || len(node.Spec.Taints) != 1 {
		t.Errorf("the node informer holds %v (%v), want the node with its taint", node, err)
	}
	var got []string
	for _, p := range s.PodsByClaim("default", "data") {
		got = append(got, p.Name)
	}
	if diff := cmp.Diff([]string{"web"}, got); diff != "" {
		t.Errorf("PodsByClaim (-want,+got):\n%s", diff)
	}
}
