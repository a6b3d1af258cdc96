package store_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// TestAssumePod follows a pod reserved on a node through its assumption,
// an update the informer delivers before its binding, and ForgetPod: the
// volume counts on the node, and the pod shows there, until it is
// forgotten.
func TestAssumePod(t *testing.T) {
	ctx := t.Context()
	pod := st.MakePod("web").PVC("data").Obj()
	client, s := syncedStoreWith(t, store.NewShared,
		st.MakeNode("n1").Obj(),
		st.MakePV("pv1").BoundTo("default", "data").CSI(driver, "h1").Obj(),
		st.MakePVC("data").BoundTo("pv1").Obj(),
		pod,
	)
	check := func(what string, wantInUse int, wantNode string) {
		t.Helper()
		state := func() (int, string) {
			node := ""
			for _, p := range s.PodsByClaim("default", "data") {
				node = p.Spec.NodeName
			}
			return s.VolumesInUse("n1", driver), node
		}
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
			inUse, node := state()
			return inUse == wantInUse && node == wantNode, nil
		})
		if err != nil {
			inUse, node := state()
			t.Fatalf("%s: VolumesInUse = %d and the pod on %q, want %d and %q", what, inUse, node, wantInUse, wantNode)
		}
	}
	check("pending", 0, "")
	s.AssumePod(pod, "n1")
	check("assumed", 1, "n1")

	updated := pod.DeepCopy()
	updated.Labels = map[string]string{"updated": "yes"}
	if _, err := client.CoreV1().Pods("default").Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The update reaches the store in its own time: give it one.
	time.Sleep(100 * time.Millisecond)
	check("an update without the binding keeps the assumption", 1, "n1")

	s.ForgetPod(pod)
	check("forgotten", 0, "")
}
