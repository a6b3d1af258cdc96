package topology

import (
	"fmt"
	"sync"
	"testing"

	st "github.com/volplace/volplace/topology/testing"
)

// TestNodeTableNames drives the node table's name index through growth,
// deletions and names that come back, checking every lookup, one by one
// and in batches, against a map, while readers look names up concurrently.
func TestNodeTableNames(t *testing.T) {
	table := newNodeTable()
	want := map[string]bool{}
	name := func(i int) string { return fmt.Sprintf("node-%d", i) }
	check := func(step string) {
		t.Helper()
		var names [][]byte
		for i := range 400 {
			names = append(names, []byte(name(i)))
		}
		refs := make([]NodeRef, len(names))
		table.index.Load().getAll(names, refs)
		for i, n := range names {
			info, ok := table.get(n)
			if ok != want[string(n)] || (refs[i].Info != nil) != want[string(n)] {
				t.Fatalf("%s: %s found one by one %v, in a batch %v, want %v", step, n, ok, refs[i].Info != nil, want[string(n)])
			}
			if ok && (info.Name() != string(n) || refs[i].Info != info || refs[i].Index != info.Index || refs[i].Name != string(n)) {
				t.Fatalf("%s: %s found node %s (index %d), in a batch %+v", step, n, info.Name(), info.Index, refs[i])
			}
		}
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					table.get([]byte(name(7)))
				}
			}
		})
	}
	for i := range 300 {
		table.setNode(name(i), st.MakeNode(name(i)).Obj())
		want[name(i)] = true
	}
	check("added")
	for i := 0; i < 300; i += 3 {
		table.setNode(name(i), nil)
		delete(want, name(i))
	}
	check("deleted")
	for i := 0; i < 150; i += 3 {
		table.setNode(name(i), st.MakeNode(name(i)).Obj())
		want[name(i)] = true
	}
	for i := 300; i < 350; i++ {
		table.setNode(name(i), st.MakeNode(name(i)).Obj())
		want[name(i)] = true
	}
	check("came back")
	// Churn: names that never return fill slots until the index is
	// rebuilt without them.
	for i := 1000; i < 3000; i++ {
		table.setNode(name(i), st.MakeNode(name(i)).Obj())
		table.setNode(name(i), nil)
	}
	check("churn")
	if slots, live := len(table.index.Load().slots), len(table.byName); slots > 8*live+minNameIndexSlots {
		t.Errorf("after churn the index has %d slots for %d names", slots, live)
	}
	// A CSINode without its Node is held, but not found.
	table.setCSINode("csinode-only", st.MakeCSINode("csinode-only").Obj())
	if _, ok := table.get([]byte("csinode-only")); ok {
		t.Error("a name with only a CSINode was found")
	}
	close(stop)
	readers.Wait()
}
