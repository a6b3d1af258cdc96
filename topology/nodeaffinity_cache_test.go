package topology

import (
	"testing"

	st "github.com/volplace/volplace/topology/testing"
)

// TestAffinityCache checks that a PV's affinity is compiled once per
// version of the PV, that a PV without one gets none, and that the cache
// starts over at its limit.
func TestAffinityCache(t *testing.T) {
	c := newAffinityCache()
	c.limit = 2
	pv := st.MakePV("pv1").NodeAffinityIn("zone", "a").Obj()
	first := c.get(pv)
	if first == nil || c.get(pv) != first {
		t.Fatalf("the same PV compiled twice, or not at all: %p, %p", first, c.get(pv))
	}
	updated := pv.DeepCopy()
	updated.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values = []string{"b"}
	got := c.get(updated)
	if got == first {
		t.Fatal("an updated PV got the compiled affinity of its previous version")
	}
	view := newNodeView(st.MakeNode("n1").Label("zone", "b").Obj(), nil)
	if !got.Match(view) || first.Match(view) {
		t.Error("the compiled affinities do not match as their PVs say")
	}
	if c.get(st.MakePV("plain").Obj()) != nil {
		t.Error("a PV without node affinity got one")
	}
	c.get(st.MakePV("pv3").NodeAffinityIn("zone", "c").Obj())
	if len(c.byPV) > c.limit {
		t.Errorf("the cache holds %d entries, limit %d", len(c.byPV), c.limit)
	}
}
