package topology

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	st "github.com/volplace/volplace/topology/testing"
)

func selectorReq(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

// labelCases are node selectors, and whether the label index computes
// their nodes.
var labelCases = []struct {
	name    string
	terms   []corev1.NodeSelectorTerm
	indexed bool
}{
	{"In", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("zone", corev1.NodeSelectorOpIn, "a", "c")}}}, true},
	{"NotIn", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("zone", corev1.NodeSelectorOpNotIn, "a")}}}, true},
	{"Exists", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("rack", corev1.NodeSelectorOpExists)}}}, true},
	{"DoesNotExist", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("rack", corev1.NodeSelectorOpDoesNotExist)}}}, true},
	{"two requirements", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		selectorReq("zone", corev1.NodeSelectorOpIn, "b"), selectorReq("rack", corev1.NodeSelectorOpNotIn, "r1")}}}, true},
	{"two terms", []corev1.NodeSelectorTerm{
		{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("zone", corev1.NodeSelectorOpIn, "a")}},
		{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("rack", corev1.NodeSelectorOpIn, "r2")}}}, true},
	{"an invalid term matches nothing", []corev1.NodeSelectorTerm{
		{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("zone", "Near", "a")}},
		{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("zone", corev1.NodeSelectorOpIn, "b")}}}, true},
	{"no terms", nil, true},
	{"Gt is tested node by node", []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{selectorReq("cpus", corev1.NodeSelectorOpGt, "8")}}}, false},
	{"names are tested node by node", []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{selectorReq("metadata.name", corev1.NodeSelectorOpIn, "n1")}}}, false},
}

// labelNode is the i-th node of a small cluster whose labels vary.
func labelNode(i, version int) *corev1.Node {
	w := st.MakeNode(fmt.Sprintf("n%d", i))
	if z := (i + version) % 4; z < 3 {
		w.Label("zone", string(rune('a'+z)))
	}
	if i%3 != 0 {
		w.Label("rack", fmt.Sprintf("r%d", (i+version)%3))
	}
	return w.Label("cpus", fmt.Sprint(4*(i%5))).Obj()
}

// TestLabelIndexMatchesSelectors checks, for each selector the index
// computes, that the nodes it gives are those the selector matches one by
// one, as nodes are added, relabelled and deleted.
func TestLabelIndexMatchesSelectors(t *testing.T) {
	table := newNodeTable()
	check := func(step string) {
		t.Helper()
		for _, tc := range labelCases {
			sel := compileNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: tc.terms})
			set, limit, ok := table.labels.matching(sel)
			if ok != tc.indexed {
				t.Fatalf("%s, %s: indexed %v, want %v", step, tc.name, ok, tc.indexed)
			}
			if !ok {
				continue
			}
			if limit != table.indexLimit() {
				t.Errorf("%s: the label index has seen indexes below %d, the table handed out %d", step, limit, table.indexLimit())
			}
			live := map[int]bool{}
			for name, info := range table.byName {
				if info.Node == nil {
					continue
				}
				live[info.Index] = true
				if want := sel.Match(&info.view); set.has(info.Index) != want {
					t.Errorf("%s, %s: node %s in the index's set %v, matches %v", step, tc.name, name, set.has(info.Index), want)
				}
			}
			// Deleted nodes, and names with only a CSINode, are in no set.
			for i := range limit {
				if !live[i] && set.has(i) {
					t.Errorf("%s, %s: index %d, of no node, is in the set", step, tc.name, i)
				}
			}
		}
	}
	for i := range 30 {
		table.setNode(fmt.Sprintf("n%d", i), labelNode(i, 0))
	}
	check("added")
	for i := 0; i < 30; i += 2 {
		table.setNode(fmt.Sprintf("n%d", i), labelNode(i, 1))
	}
	check("relabelled")
	for i := 0; i < 30; i += 5 {
		table.setNode(fmt.Sprintf("n%d", i), nil)
	}
	table.setCSINode("n5", st.MakeCSINode("n5").Obj()) // a CSINode without its Node
	check("deleted")
	for i := 0; i < 30; i += 10 {
		table.setNode(fmt.Sprintf("n%d", i), labelNode(i, 2))
	}
	check("back")
}

// TestRejects checks that the extender's shortcut rejects, by index, every
// node and only the nodes that fail the node affinity of the pod's PV.
func TestRejects(t *testing.T) {
	for _, tc := range labelCases {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{
				st.MakePV("pv").NodeAffinityTerm(corev1.NodeSelectorTerm{}).Obj(),
				st.MakePVC("data").BoundTo("pv").Obj(),
			}
			pv := objs[0].(*corev1.PersistentVolume)
			pv.Spec.NodeAffinity.Required.NodeSelectorTerms = tc.terms
			for i := range 12 {
				objs = append(objs, labelNode(i, 0))
			}
			snap, err := NewStaticSnapshot(objs...)
			if err != nil {
				t.Fatal(err)
			}
			ev := NewEvaluator(snap, DefaultOptions()).FailFast()
			state := ev.Prepare(st.MakePod("web").PVC("data").Obj())
			sel := compileNodeSelector(pv.Spec.NodeAffinity.Required)
			for i := range 12 {
				info, _ := snap.NodeInfo(fmt.Appendf(nil, "n%d", i))
				r, rejected := ev.Rejects(state, info.Index)
				if want := tc.indexed && !sel.Match(&info.view); rejected != want {
					t.Errorf("node n%d rejected by index: %v, want %v", i, rejected, want)
				}
				if rejected && r.String() != ErrReasonNodeConflict+" (pv)" {
					t.Errorf("node n%d rejected with %q", i, r.String())
				}
			}
			if _, ok := ev.Rejects(state, snap.NodeIndexLimit()); ok {
				t.Error("a node newer than the pod's preparation was rejected by index")
			}
		})
	}
}
