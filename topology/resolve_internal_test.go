package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDropDuplicates checks both ways of telling names apart: known nodes
// by their index, below the limit, other names by a map.
func TestDropDuplicates(t *testing.T) {
	a, b, late := &NodeInfo{Index: 3}, &NodeInfo{Index: 64}, &NodeInfo{Index: 200}
	cands := []Candidate{
		{Name: "a", Info: a, index: 3},
		{Name: "ghost", index: -1},
		{Name: "b", Info: b, index: 64},
		{Name: "a", Info: a, index: 3},
		{Name: "late", Info: late, index: 200}, // newer than the limit
		{Name: "ghost", index: -1},
		{Name: "late", Info: late, index: 200},
		{Name: "b", Info: b, index: 64},
	}
	got := dropDuplicates(cands, 100)
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"a", "ghost", "b", "late"}, names); diff != "" {
		t.Errorf("names kept (-want,+got):\n%s", diff)
	}
	for _, c := range cands[len(got):] {
		if c.Info != nil || c.Name != "" {
			t.Errorf("dropped candidate %q still referenced", c.Name)
		}
	}
}
