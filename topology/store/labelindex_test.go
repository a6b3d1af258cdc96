package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	st "github.com/volplace/volplace/topology/testing"
)

// TestLabelIndexFollowsNodes checks that the label index lists, by key and
// by label, exactly the live nodes that carry them, as nodes are added,
// relabelled and deleted, and names keep only a CSINode.
func TestLabelIndexFollowsNodes(t *testing.T) {
	table := newNodeTable()
	check := func(step string) {
		t.Helper()
		all := []int32{}
		byKey, byLabel := map[string][]int32{}, map[[2]string][]int32{}
		for _, info := range table.byName {
			if info.Node == nil {
				continue
			}
			i := int32(info.Index)
			all = append(all, i)
			for k, v := range info.Node.Labels {
				byKey[k] = append(byKey[k], i)
				byLabel[[2]string{k, v}] = append(byLabel[[2]string{k, v}], i)
			}
		}
		x := table.labels
		lists := labelLists{x}
		slices.Sort(all)
		if diff := cmp.Diff(all, lists.All(), cmp.Comparer(slices.Equal[[]int32])); diff != "" {
			t.Errorf("%s: All() (-want +got):\n%s", step, diff)
		}
		if lists.Limit() != table.indexLimit() {
			t.Errorf("%s: Limit() = %d, the table handed out indexes below %d", step, lists.Limit(), table.indexLimit())
		}
		for k, want := range byKey {
			slices.Sort(want)
			if got := lists.WithKey(k); !slices.Equal(got, want) {
				t.Errorf("%s: WithKey(%q) = %v, want %v", step, k, got, want)
			}
		}
		for kv, want := range byLabel {
			slices.Sort(want)
			if got := lists.WithLabel(kv[0], kv[1]); !slices.Equal(got, want) {
				t.Errorf("%s: WithLabel(%q, %q) = %v, want %v", step, kv[0], kv[1], got, want)
			}
		}
		// Nothing else is listed: no label of a node that lost it or left.
		for k, list := range x.keys {
			if len(byKey[k]) != len(list) {
				t.Errorf("%s: key %q lists %v, want %v", step, k, list, byKey[k])
			}
		}
		for k, values := range x.values {
			for v, list := range values {
				if len(byLabel[[2]string{k, v}]) != len(list) {
					t.Errorf("%s: label %s=%s lists %v", step, k, v, list)
				}
			}
		}
	}
	for i := range 30 {
		table.setNode(fmt.Sprintf("n%d", i), st.LabelledNode(i, 0))
	}
	check("added")
	for i := 0; i < 30; i += 2 {
		table.setNode(fmt.Sprintf("n%d", i), st.LabelledNode(i, 1))
	}
	check("relabelled")
	for i := 0; i < 30; i += 5 {
		table.setNode(fmt.Sprintf("n%d", i), nil)
	}
	table.setCSINode("n5", st.MakeCSINode("n5").Obj()) // a CSINode without its Node
	check("deleted")
	for i := 0; i < 30; i += 10 {
		table.setNode(fmt.Sprintf("n%d", i), st.LabelledNode(i, 2))
	}
	check("back")
}
