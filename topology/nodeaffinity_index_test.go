package topology_test

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
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

// TestRejectsAgreesWithTheRule checks the node affinity shortcut against
// the rule it shortcuts: Evaluator.Rejects rejects, by index, exactly the
// nodes whose evaluation fails on the PV's node affinity, with the reason
// a fail-fast evaluation gives, for every selector the label index
// computes, over clusters whose nodes carry different labels.
func TestRejectsAgreesWithTheRule(t *testing.T) {
	for _, tc := range labelCases {
		for version := range 3 {
			t.Run(fmt.Sprintf("%s/labels %d", tc.name, version), func(t *testing.T) {
				objs := []runtime.Object{
					st.MakePV("pv").NodeAffinityTerm(corev1.NodeSelectorTerm{}).Obj(),
					st.MakePVC("data").BoundTo("pv").Obj(),
				}
				pv := objs[0].(*corev1.PersistentVolume)
				pv.Spec.NodeAffinity.Required.NodeSelectorTerms = tc.terms
				for i := range 12 {
					objs = append(objs, st.LabelledNode(i, version))
				}
				cluster, err := store.NewStatic(objs...)
				if err != nil {
					t.Fatal(err)
				}
				pod := st.MakePod("web").PVC("data").Obj()
				fast := topology.NewEvaluator(cluster, topology.DefaultOptions()).FailFast()
				rule := topology.NewEvaluator(cluster, topology.DefaultOptions())
				state, ruleState := fast.Prepare(pod), rule.Prepare(pod)
				for i := range 12 {
					info, _ := cluster.NodeInfo(fmt.Appendf(nil, "n%d", i))
					r, rejected := fast.Rejects(state, info.Index)
					res := rule.Evaluate(ruleState, info.Node)
					fails := !res.Fits() && res.Reasons.Primary().Code == topology.CodeNodeConflict
					if want := tc.indexed && fails; rejected != want {
						t.Errorf("node n%d rejected by index: %v, want %v (the rule: %v)", i, rejected, want, res.Reasons)
					}
					if pinned := fast.PinnedTo(state, topology.NodeCandidate(cluster, info.Node)); pinned == rejected {
						t.Errorf("node n%d: PinnedTo %v, rejected by index %v", i, pinned, rejected)
					}
					if !rejected {
						continue
					}
					if got, want := r.String(), fast.Evaluate(state, info.Node).Reasons.Primary().String(); got != want {
						t.Errorf("node n%d rejected by index with %q, by evaluation with %q", i, got, want)
					}
				}
				if got := fast.Pinned(state); got != tc.indexed {
					t.Errorf("Pinned = %v, want %v", got, tc.indexed)
				}
				if rule.Pinned(ruleState) {
					t.Error("an evaluator that is not fail-fast pinned the pod")
				}
				if !fast.PinnedTo(state, topology.NodeCandidate(cluster, st.MakeNode("unknown").Obj())) {
					t.Error("a node the cache does not hold was not among the pinned nodes")
				}
				if _, ok := fast.Rejects(state, cluster.NodeIndexLimit()); ok {
					t.Error("a node newer than the pod's preparation was rejected by index")
				}
			})
		}
	}
}
