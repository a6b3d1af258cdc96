package plugintest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	fwk "k8s.io/kube-scheduler/framework"

	st "github.com/volplace/volplace/topology/testing"
)

// fakePlugin answers each extension point as its fields say and records
// the nodes Filter and Score ran on.
type fakePlugin struct {
	preFilter       *fwk.PreFilterResult
	preFilterStatus *fwk.Status
	filter          map[string]*fwk.Status // by node; nil fits
	preScore        *fwk.Status
	score           map[string]int64 // by node
	scale           int64            // NormalizeScore multiplies by it

	mu               sync.Mutex
	filtered, scored []string
}

func (f *fakePlugin) Name() string { return "Fake" }

func (f *fakePlugin) PreFilter(context.Context, fwk.CycleState, *corev1.Pod, []fwk.NodeInfo) (*fwk.PreFilterResult, *fwk.Status) {
	return f.preFilter, f.preFilterStatus
}

func (f *fakePlugin) PreFilterExtensions() fwk.PreFilterExtensions { return nil }

func (f *fakePlugin) Filter(_ context.Context, _ fwk.CycleState, _ *corev1.Pod, n fwk.NodeInfo) *fwk.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filtered = append(f.filtered, n.Node().Name)
	return f.filter[n.Node().Name]
}

func (f *fakePlugin) PreScore(context.Context, fwk.CycleState, *corev1.Pod, []fwk.NodeInfo) *fwk.Status {
	return f.preScore
}

func (f *fakePlugin) Score(_ context.Context, _ fwk.CycleState, _ *corev1.Pod, n fwk.NodeInfo) (int64, *fwk.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scored = append(f.scored, n.Node().Name)
	return f.score[n.Node().Name], nil
}

func (f *fakePlugin) ScoreExtensions() fwk.ScoreExtensions { return f }

func (f *fakePlugin) NormalizeScore(_ context.Context, _ fwk.CycleState, _ *corev1.Pod, scores fwk.NodeScoreList) *fwk.Status {
	for i := range scores {
		scores[i].Score *= f.scale
	}
	return nil
}

// outcome is what a test checks of a cycle.
type outcome struct {
	PreFilter, PreScore, Score fwk.Code
	Nodes                      []Node
	Filtered, Scored           []string
}

// TestSchedule checks the order of calls and what Schedule makes of each
// extension point's answer, with a fake plugin over three nodes.
func TestSchedule(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj(), st.MakeNode("n3").Obj()}
	status := func(code fwk.Code, msg string) *fwk.Status { return fwk.NewStatus(code, msg) }
	tests := []struct {
		name string
		pl   *fakePlugin
		want outcome
	}{
		{
			name: "every node fits and is scored",
			pl:   &fakePlugin{score: map[string]int64{"n1": 1, "n2": 2, "n3": 3}, scale: 10},
			want: outcome{
				Nodes:    []Node{{Name: "n1", Score: 10}, {Name: "n2", Score: 20}, {Name: "n3", Score: 30}},
				Filtered: []string{"n1", "n2", "n3"},
				Scored:   []string{"n1", "n2", "n3"},
			},
		},
		{
			name: "a skip at PreFilter skips Filter, one at PreScore skips Score",
			pl:   &fakePlugin{preFilterStatus: fwk.NewStatus(fwk.Skip), preScore: fwk.NewStatus(fwk.Skip), scale: 10},
			want: outcome{
				PreFilter: fwk.Skip,
				PreScore:  fwk.Skip,
				Nodes:     []Node{{Name: "n1"}, {Name: "n2"}, {Name: "n3"}},
			},
		},
		{
			name: "PreFilter's result leaves nodes out of Filter",
			pl:   &fakePlugin{preFilter: &fwk.PreFilterResult{NodeNames: sets.New("n2")}, score: map[string]int64{"n2": 5}, scale: 10},
			want: outcome{
				Nodes: []Node{
					{Name: "n1", Excluded: true, Code: fwk.UnschedulableAndUnresolvable, Message: "node(s) didn't satisfy plugin(s) [Fake]"},
					{Name: "n2", Score: 50},
					{Name: "n3", Excluded: true, Code: fwk.UnschedulableAndUnresolvable, Message: "node(s) didn't satisfy plugin(s) [Fake]"},
				},
				Filtered: []string{"n2"},
				Scored:   []string{"n2"},
			},
		},
		{
			name: "only the nodes that pass Filter are scored",
			pl: &fakePlugin{
				filter: map[string]*fwk.Status{"n1": status(fwk.Unschedulable, "full"), "n3": status(fwk.UnschedulableAndUnresolvable, "far")},
				score:  map[string]int64{"n1": 1, "n2": 2, "n3": 3},
				scale:  10,
			},
			want: outcome{
				Nodes: []Node{
					{Name: "n1", Code: fwk.Unschedulable, Message: "full"},
					{Name: "n2", Score: 20},
					{Name: "n3", Code: fwk.UnschedulableAndUnresolvable, Message: "far"},
				},
				Filtered: []string{"n1", "n2", "n3"},
				Scored:   []string{"n2"},
			},
		},
		{
			name: "the cycle ends when no node fits",
			pl: &fakePlugin{
				filter:   map[string]*fwk.Status{"n1": status(fwk.Unschedulable, "full"), "n2": status(fwk.Unschedulable, "full"), "n3": status(fwk.Unschedulable, "full")},
				preScore: fwk.NewStatus(fwk.Error, "PreScore ran"),
			},
			want: outcome{
				Nodes: []Node{
					{Name: "n1", Code: fwk.Unschedulable, Message: "full"},
					{Name: "n2", Code: fwk.Unschedulable, Message: "full"},
					{Name: "n3", Code: fwk.Unschedulable, Message: "full"},
				},
				Filtered: []string{"n1", "n2", "n3"},
			},
		},
		{
			name: "a failed PreFilter ends the cycle with its status on every node",
			pl:   &fakePlugin{preFilterStatus: fwk.NewStatus(fwk.UnschedulableAndUnresolvable, "no way")},
			want: outcome{
				PreFilter: fwk.UnschedulableAndUnresolvable,
				Nodes: []Node{
					{Name: "n1", Code: fwk.UnschedulableAndUnresolvable, Message: "no way"},
					{Name: "n2", Code: fwk.UnschedulableAndUnresolvable, Message: "no way"},
					{Name: "n3", Code: fwk.UnschedulableAndUnresolvable, Message: "no way"},
				},
			},
		},
		{
			name: "a score out of range after NormalizeScore fails scoring",
			pl:   &fakePlugin{score: map[string]int64{"n1": 1, "n2": 2, "n3": 30}, scale: 10},
			want: outcome{
				Score:    fwk.Error,
				Nodes:    []Node{{Name: "n1"}, {Name: "n2"}, {Name: "n3"}},
				Filtered: []string{"n1", "n2", "n3"},
				Scored:   []string{"n1", "n2", "n3"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Schedule(t.Context(), tt.pl, st.MakePod("web").PVC("data").Obj(), nodes)
			slices.Sort(tt.pl.filtered)
			slices.Sort(tt.pl.scored)
			got := outcome{
				PreFilter: c.PreFilter.Code(),
				PreScore:  c.PreScore.Code(),
				Score:     c.Score.Code(),
				Nodes:     c.Nodes,
				Filtered:  tt.pl.filtered,
				Scored:    tt.pl.scored,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cycle (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestCycleState checks the double's reads, writes and deletions.
func TestCycleState(t *testing.T) {
	cs := NewCycleState()
	const key fwk.StateKey = "k"
	if _, err := cs.Read(key); !errors.Is(err, fwk.ErrNotFound) {
		t.Fatalf("Read of an empty state: %v, want fwk.ErrNotFound", err)
	}
	data := &stateData{}
	cs.Write(key, data)
	if got, err := cs.Read(key); err != nil || got != data {
		t.Fatalf("Read after Write: %v, %v", got, err)
	}
	cs.Delete(key)
	if _, err := cs.Read(key); !errors.Is(err, fwk.ErrNotFound) {
		t.Fatalf("Read after Delete: %v, want fwk.ErrNotFound", err)
	}
}

type stateData struct{}

func (s *stateData) Clone() fwk.StateData { return s }
