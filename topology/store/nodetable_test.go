package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// tableEntry is what a test expects NodeInfo to return for a name.
type tableEntry struct {
	Found           bool
	Node            string // the Node's zone label, to tell versions apart
	CSINodeDrivers  int
	CSINodeNotFound bool
}

func entryOf(snap topology.Cluster, name string) (tableEntry, int) {
	info, ok := snap.NodeInfo([]byte(name))
	if !ok {
		return tableEntry{}, -1
	}
	e := tableEntry{Found: true, Node: info.Node.Labels["topology.kubernetes.io/zone"], CSINodeNotFound: info.CSINode == nil}
	if info.CSINode != nil {
		e.CSINodeDrivers = len(info.CSINode.Spec.Drivers)
	}
	return e, info.Index
}

// TestNodeTableFollowsEvents follows a node and its CSINode through
// creation, update and deletion: the table returns both with one lookup,
// keeps the node's index across updates, and does not give it to another
// node.
func TestNodeTableFollowsEvents(t *testing.T) {
	ctx := t.Context()
	client, snap := syncedStore(t, st.MakeNode("n1").Zone("a").Obj(), st.MakeCSINode("only-csinode").Driver(driver).Obj())
	eventually := func(step, name string, want tableEntry) int {
		t.Helper()
		var got tableEntry
		var index int
		err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
			got, index = entryOf(snap, name)
			return got == want, nil
		})
		if err != nil {
			t.Fatalf("%s: NodeInfo(%q) (-want,+got):\n%s", step, name, cmp.Diff(want, got))
		}
		return index
	}
	first := eventually("node without CSINode", "n1", tableEntry{Found: true, Node: "a", CSINodeNotFound: true})
	eventually("a CSINode alone is not a node", "only-csinode", tableEntry{})

	if _, err := client.StorageV1().CSINodes().Create(ctx, st.MakeCSINode("n1").Driver(driver).Obj(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := eventually("CSINode added", "n1", tableEntry{Found: true, Node: "a", CSINodeDrivers: 1}); got != first {
		t.Errorf("index changed from %d to %d when the CSINode came", first, got)
	}
	if _, err := client.CoreV1().Nodes().Update(ctx, st.MakeNode("n1").Zone("b").Obj(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := eventually("node updated", "n1", tableEntry{Found: true, Node: "b", CSINodeDrivers: 1}); got != first {
		t.Errorf("index changed from %d to %d when the node changed", first, got)
	}
	if err := client.CoreV1().Nodes().Delete(ctx, "n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("node deleted", "n1", tableEntry{})
	if err := client.StorageV1().CSINodes().Delete(ctx, "n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Nodes().Create(ctx, st.MakeNode("n2").Zone("c").Obj(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	again := eventually("another node after n1 went", "n2", tableEntry{Found: true, Node: "c", CSINodeNotFound: true})
	if again == first {
		t.Errorf("index %d of the deleted n1 given to n2", again)
	}
	if limit := snap.NodeIndexLimit(); again >= limit {
		t.Errorf("NodeIndexLimit() = %d, not above index %d", limit, again)
	}
}

func TestStaticStoreNodeInfo(t *testing.T) {
	snap, err := store.NewStatic(st.MakeNode("n1").Zone("a").Obj(), st.MakeCSINode("n1").Driver(driver).Obj(), st.MakeNode("n2").Obj())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]tableEntry{
		"n1":      {Found: true, Node: "a", CSINodeDrivers: 1},
		"n2":      {Found: true, CSINodeNotFound: true},
		"missing": {},
	} {
		if got, _ := entryOf(snap, name); got != want {
			t.Errorf("NodeInfo(%q) (-want,+got):\n%s", name, cmp.Diff(want, got))
		}
	}
}

func TestNodeInfoDoesNotAllocate(t *testing.T) {
	snap, err := store.NewStatic(st.MakeNode("n1").Obj())
	if err != nil {
		t.Fatal(err)
	}
	name := []byte("n1")
	if allocs := testing.AllocsPerRun(100, func() { _, _ = snap.NodeInfo(name) }); allocs != 0 {
		t.Errorf("NodeInfo allocates %.0f times per call", allocs)
	}
}
