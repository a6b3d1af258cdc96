package topology_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// resolved is what a test expects of candidates: their names in order and
// whether the cache holds each.
type resolved struct {
	Names []string
	Known []bool
}

func viewResolved(cands []topology.Candidate) resolved {
	var out resolved
	for _, c := range cands {
		out.Names, out.Known = append(out.Names, c.Name), append(out.Known, c.Info != nil)
	}
	return out
}

func TestResolveNodes(t *testing.T) {
	snap, err := store.NewStatic(zonalObjects()...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		names []string
		want  resolved
	}{
		{name: "none"},
		{name: "known and unknown", names: []string{"na", "ghost", "nb"}, want: resolved{Names: []string{"na", "ghost", "nb"}, Known: []bool{true, false, true}}},
		{name: "duplicates known and unknown", names: []string{"na", "ghost", "na", "ghost", "nb"}, want: resolved{Names: []string{"na", "ghost", "nb"}, Known: []bool{true, false, true}}},
		{name: "empty name", names: []string{"", "na", ""}, want: resolved{Names: []string{"", "na"}, Known: []bool{false, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var names [][]byte
			for _, n := range tt.names {
				names = append(names, []byte(n))
			}
			cands := topology.ResolveNodes(snap, names, 2)
			defer topology.ReleaseCandidates(cands)
			for i := range names {
				clear(names[i]) // the candidates keep nothing of the names
			}
			if diff := cmp.Diff(tt.want, viewResolved(cands)); diff != "" {
				t.Errorf("candidates (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestResolveManyNodes resolves more names than one goroutine looks up,
// known, unknown and repeated, and checks that the candidates are the same
// whatever the parallelism: each name once, in the order of its first
// occurrence.
func TestResolveManyNodes(t *testing.T) {
	size := st.ClusterSize{Nodes: 3000, Zones: 3, Pods: 10, Claims: 10}
	snap, err := store.NewStatic(st.LargeCluster(size)...)
	if err != nil {
		t.Fatal(err)
	}
	var names [][]byte
	var want resolved
	for i := range size.Nodes {
		names = append(names, []byte(st.NodeName(i)))
		want.Names, want.Known = append(want.Names, st.NodeName(i)), append(want.Known, true)
		if i%7 == 0 {
			ghost := fmt.Sprintf("ghost-%d", i)
			names = append(names, []byte(ghost), []byte(st.NodeName(i/2)), []byte(ghost))
			want.Names, want.Known = append(want.Names, ghost), append(want.Known, false)
		}
	}
	for _, parallelism := range []int{0, 1, 2, 3} {
		cands := topology.ResolveNodes(snap, names, parallelism)
		if diff := cmp.Diff(want, viewResolved(cands)); diff != "" {
			t.Errorf("parallelism %d: candidates (-want,+got):\n%s", parallelism, diff)
		}
		topology.ReleaseCandidates(cands)
	}
}

func TestGivenNodes(t *testing.T) {
	nodes := []corev1.Node{*st.MakeNode("na").Obj(), *st.MakeNode("ghost").Obj(), *st.MakeNode("na").Zone("b").Obj()}
	cands := topology.GivenNodes(nodes)
	defer topology.ReleaseCandidates(cands)
	if diff := cmp.Diff(resolved{Names: []string{"na", "ghost"}, Known: []bool{false, false}}, viewResolved(cands)); diff != "" {
		t.Errorf("candidates (-want,+got):\n%s", diff)
	}
	for i, c := range cands {
		if c.Node != &nodes[i] {
			t.Errorf("candidate %s is not the node given first", c.Name)
		}
	}
}

func TestAllNodes(t *testing.T) {
	snap, err := store.NewStatic(st.MakeNode("nc").Obj(), st.MakeNode("na").Obj(), st.MakeNode("nb").Obj(), st.MakeCSINode("nd").Obj())
	if err != nil {
		t.Fatal(err)
	}
	cands := topology.AllNodes(snap)
	defer topology.ReleaseCandidates(cands)
	if diff := cmp.Diff(resolved{Names: []string{"na", "nb", "nc"}, Known: []bool{true, true, true}}, viewResolved(cands)); diff != "" {
		t.Errorf("candidates (-want,+got):\n%s", diff)
	}
}

// TestNodeCandidate checks the candidate of a node object: the node
// table's entry, as ResolveNodes gives it, for a node the store holds,
// without allocating; the object itself, evaluated as given rather than
// reported unknown, for a node the store has not seen yet.
func TestNodeCandidate(t *testing.T) {
	known := st.MakeNode("n1").Obj()
	cluster, err := store.NewStatic(known)
	if err != nil {
		t.Fatal(err)
	}
	want := topology.ResolveNodes(cluster, [][]byte{[]byte("n1")}, 1)[0]
	if got := topology.NodeCandidate(cluster, known); got.Name != want.Name || got.Info != want.Info || got.Node != nil {
		t.Errorf("NodeCandidate(n1) = {%s %p %p}, ResolveNodes gives {%s %p}", got.Name, got.Info, got.Node, want.Name, want.Info)
	}
	if allocs := testing.AllocsPerRun(100, func() { topology.NodeCandidate(cluster, known) }); allocs != 0 {
		t.Errorf("NodeCandidate of a known node allocates %v times", allocs)
	}

	fresh := st.MakeNode("new").Obj()
	got := topology.NodeCandidate(cluster, fresh)
	if got.Name != "new" || got.Info != nil || got.Node != fresh {
		t.Fatalf("NodeCandidate(new) = {%s %p %p}, want the object itself", got.Name, got.Info, got.Node)
	}
	ev := topology.NewEvaluator(cluster, topology.DefaultOptions()).FailFast()
	cands := []topology.Candidate{got}
	ev.EvaluateNodes(ev.Prepare(st.MakePod("web").PVC("data").Obj()), cands, 1)
	if cands[0].Code == topology.CodeNodeUnknown {
		t.Errorf("a node given as an object was reported unknown: %s", cands[0].Message)
	}
}
