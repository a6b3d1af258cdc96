package store_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// driver is the CSI driver of the test clusters.
const driver = "csi.example.com"

// evaluate returns the pod's result on every node of a static store of objs.
func evaluate(t *testing.T, objs []runtime.Object, pod *corev1.Pod) []topology.NodeResult {
	t.Helper()
	s, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatalf("building the store: %v", err)
	}
	ev := topology.NewEvaluator(s, topology.DefaultOptions())
	state := ev.Prepare(pod)
	results := make([]topology.NodeResult, 0, len(s.Nodes()))
	for _, node := range s.Nodes() {
		results = append(results, ev.Evaluate(state, node))
	}
	return results
}

// syncedStore returns a fake clientset holding objs and an informer store
// over it, synced; the informers stop with the test.
func syncedStore(t *testing.T, objs ...runtime.Object) (*fake.Clientset, *store.Store) {
	t.Helper()
	return syncedStoreWith(t, store.New, objs...)
}

// syncedStoreWith is syncedStore with the store built by newStore (store.New
// or store.NewShared).
func syncedStoreWith(t *testing.T, newStore func(informers.SharedInformerFactory) (*store.Store, error), objs ...runtime.Object) (*fake.Clientset, *store.Store) {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := newStore(factory)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(t.Context().Done())
	if !cache.WaitForCacheSync(t.Context().Done(), s.Synced()...) {
		t.Fatal("caches did not sync")
	}
	return client, s
}
