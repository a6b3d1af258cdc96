package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/volplace/volplace/topology"
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
		refs := make([]topology.NodeRef, len(names))
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
	// Readers look every name up, one by one and in batches, while the
	// table changes under them; -race checks what they read.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Go(func() {
			names := make([][]byte, 0, 64)
			refs := make([]topology.NodeRef, 64)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := []byte(name((i*7 + r) % 3000))
				if info, ok := table.get(n); ok && info.Name() != string(n) {
					t.Errorf("looking %s up found %s", n, info.Name())
				}
				if names = append(names, n); len(names) == cap(names) {
					table.index.Load().getAll(names, refs)
					for j, ref := range refs[:len(names)] {
						if ref.Info != nil && (ref.Name != string(names[j]) || ref.Info.Index != ref.Index) {
							t.Errorf("looking %s up in a batch found %+v", names[j], ref)
						}
					}
					names = names[:0]
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
