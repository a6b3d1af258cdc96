package topology_test

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// candidateView is what a test compares of a candidate.
type candidateView struct {
	Name               string
	Known              bool
	Fits, Unresolvable bool
	Score              int64
	Code               topology.Code
	Message            string
}

func viewCandidates(cands []topology.Candidate) []candidateView {
	out := make([]candidateView, len(cands))
	for i, c := range cands {
		out[i] = candidateView{Name: c.Name, Known: c.Info != nil, Fits: c.Fits, Unresolvable: c.Unresolvable,
			Score: c.Score, Code: c.Code, Message: c.Message}
	}
	return out
}

// TestEvaluateNodesParallel evaluates more candidates than one goroutine
// takes, known, unknown and repeated, and checks that the verdicts and the
// tally are the same whatever the parallelism, and the tally that of the
// verdicts.
func TestEvaluateNodesParallel(t *testing.T) {
	size := st.ClusterSize{Nodes: 3000, Zones: 3, Pods: 10, Claims: 10}
	snap, err := store.NewStatic(st.LargeCluster(size)...)
	if err != nil {
		t.Fatal(err)
	}
	var names [][]byte
	for i := range size.Nodes {
		names = append(names, []byte(st.NodeName(i)))
		if i%7 == 0 {
			names = append(names, fmt.Appendf(nil, "ghost-%d", i), []byte(st.NodeName(i/2)))
		}
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).FailFast()
	pods := map[string]*corev1.Pod{
		"no claims": st.MakePod("plain").Obj(),
		"1 claim":   st.PendingPod(1),
		"3 claims":  st.PendingPod(3),
		"missing":   st.MakePod("lost").PVC("gone").Obj(),
	}
	for name, pod := range pods {
		t.Run(name, func(t *testing.T) {
			var want []candidateView
			var wantTally topology.Tally
			for _, parallelism := range []int{1, 2, 3} {
				cands := topology.ResolveNodes(snap, names, parallelism)
				tally := ev.EvaluateNodes(ev.Prepare(pod), cands, parallelism)
				got := viewCandidates(cands)
				if parallelism == 1 {
					want, wantTally = got, tally
					var counted topology.Tally
					for _, c := range cands {
						countVerdict(&counted, c)
					}
					if diff := cmp.Diff(counted, tally, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("tally (-verdicts,+EvaluateNodes):\n%s", diff)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("parallelism %d: candidates (-parallelism 1,+parallelism %d):\n%s", parallelism, parallelism, diff)
				}
				if diff := cmp.Diff(wantTally, tally); diff != "" {
					t.Errorf("parallelism %d: tally (-parallelism 1,+parallelism %d):\n%s", parallelism, parallelism, diff)
				}
				topology.ReleaseCandidates(cands)
			}
		})
	}
}

// zonalObjects has nodes in zones a and b and a claim bound to a PV in
// zone a.
func zonalObjects() []runtime.Object {
	const driver = "pd.csi.example.com"
	return []runtime.Object{
		st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj(),
		st.MakeCSINode("na").Driver(driver).Obj(), st.MakeCSINode("nb").Driver(driver).Obj(),
		st.MakePVC("data").BoundTo("pv-a").Obj(),
		st.MakePV("pv-a").BoundTo("default", "data").CSI(driver, "h").NodeAffinityIn(corev1.LabelTopologyZone, "a").Obj(),
	}
}

// TestEvaluateNodesAgain evaluates the same candidates for several pods in
// turn, as the extender's filter does when it waits for other pods'
// placements: each evaluation replaces every verdict.
func TestEvaluateNodesAgain(t *testing.T) {
	snap, err := store.NewStatic(zonalObjects()...)
	if err != nil {
		t.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).FailFast()
	bound := st.MakePod("web").PVC("data").Obj()
	cands := topology.ResolveNodes(snap, [][]byte{[]byte("na"), []byte("nb"), []byte("ghost")}, 1)
	defer topology.ReleaseCandidates(cands)
	first := ev.EvaluateNodes(ev.Prepare(bound), cands, 1)
	want := viewCandidates(cands)
	if first.Fits != 1 || first.Failed != 1 || first.Unresolvable != 1 {
		t.Errorf("tally %+v, want 1 node that fits, 1 failed (unknown), 1 unresolvable", first)
	}
	topology.RejectAll(cands, "Held", "held")
	if again := ev.EvaluateNodes(ev.Prepare(st.MakePod("plain").Obj()), cands, 1); again.Fits != 3 {
		t.Errorf("a pod without claims fits %d of 3 candidates", again.Fits)
	}
	if again := ev.EvaluateNodes(ev.Prepare(bound), cands, 1); !cmp.Equal(first, again) {
		t.Errorf("tally evaluated again %+v, first %+v", again, first)
	}
	if diff := cmp.Diff(want, viewCandidates(cands)); diff != "" {
		t.Errorf("candidates evaluated again (-first,+again):\n%s", diff)
	}
}

func TestRejectAll(t *testing.T) {
	cands := []topology.Candidate{{Name: "a", Fits: true, Score: 7}, {Name: "b", Unresolvable: true, Code: "X", Message: "x"}}
	tally := topology.RejectAll(cands, "Held", "held")
	want := []candidateView{{Name: "a", Code: "Held", Message: "held"}, {Name: "b", Code: "Held", Message: "held"}}
	if diff := cmp.Diff(want, viewCandidates(cands)); diff != "" {
		t.Errorf("candidates (-want,+got):\n%s", diff)
	}
	wantTally := topology.Tally{Failed: 2, Rejected: []topology.RejectCount{{Code: "Held", Message: "held", Nodes: 2}}}
	if diff := cmp.Diff(wantTally, tally); diff != "" {
		t.Errorf("tally (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(topology.Tally{}, topology.RejectAll(nil, "Held", "held")); diff != "" {
		t.Errorf("tally of no candidates (-want,+got):\n%s", diff)
	}
}

// TestCandidateSize keeps a candidate at the size its documentation gives:
// requests of thousands of nodes read their candidates several times.
func TestCandidateSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are those of 64-bit platforms")
	}
	if size := unsafe.Sizeof(topology.Candidate{}); size != 88 {
		t.Errorf("a Candidate takes %d bytes, not 88", size)
	}
}
