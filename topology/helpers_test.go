package topology_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/plugin"
	"github.com/volplace/volplace/plugin/plugintest"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// outcome is what a test expects of one node: the reason line as
// kube-scheduler would see it ("" when the pod fits) and whether it is
// unresolvable.
type outcome struct {
	Reasons      string
	Unresolvable bool
}

var fits = outcome{}

func unresolvable(reasons string) outcome { return outcome{Reasons: reasons, Unresolvable: true} }
func resolvable(reasons string) outcome   { return outcome{Reasons: reasons} }

// evalCase is one row of a rule's table.
type evalCase struct {
	name string
	objs []runtime.Object
	pod  *corev1.Pod
	opts *topology.Options
	want map[string]outcome
}

func evaluate(t *testing.T, objs []runtime.Object, pod *corev1.Pod, opts *topology.Options) []topology.NodeResult {
	t.Helper()
	snap, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatalf("building snapshot: %v", err)
	}
	o := topology.DefaultOptions()
	if opts != nil {
		o = *opts
	}
	ev := topology.NewEvaluator(snap, o)
	s := ev.Prepare(pod)
	var results []topology.NodeResult
	for _, node := range snap.Nodes() {
		results = append(results, ev.Evaluate(s, node))
	}
	checkFailFast(t, ev, pod, results)
	checkEvaluateNodes(t, ev, pod, results)
	checkPlugin(t, objs, pod, o, results)
	return results
}

// verdict is what the extender keeps of a result.
type verdict struct {
	Fits, Unresolvable bool
	Primary            string
	Score              int64
}

// checkFailFast checks that the extender's way of evaluating, failing fast
// in one reused Scratch, gives every node the verdict, primary reason and
// score of the full evaluation.
func checkFailFast(t *testing.T, ev *topology.Evaluator, pod *corev1.Pod, full []topology.NodeResult) {
	t.Helper()
	fast := ev.FailFast()
	state := fast.Prepare(pod)
	var sc topology.Scratch
	for _, want := range full {
		node, ok := ev.Cluster().Node(want.Node)
		if !ok {
			t.Fatalf("node %s not in the snapshot", want.Node)
		}
		got := fast.EvaluateWith(state, node, &sc)
		if diff := cmp.Diff(verdictOf(want), verdictOf(got)); diff != "" {
			t.Errorf("node %s, fail-fast evaluation (-full,+fail-fast):\n%s", want.Node, diff)
		}
		// What the extender reads of a node it rejects by index alone.
		info, ok := ev.Cluster().NodeInfo([]byte(want.Node))
		if !ok {
			t.Fatalf("node %s not in the node table", want.Node)
		}
		if r, ok := fast.Rejects(state, info.Index); ok {
			byIndex := verdict{Unresolvable: r.Unresolvable, Primary: r.String()}
			wantVerdict := verdictOf(want)
			wantVerdict.Fits = false
			if diff := cmp.Diff(wantVerdict, byIndex); diff != "" {
				t.Errorf("node %s, rejected by index (-full,+by index):\n%s", want.Node, diff)
			}
			if code := want.Reasons.Primary().Code; r.Code != code {
				t.Errorf("node %s, rejected by index with code %s, the full evaluation's is %s", want.Node, r.Code, code)
			}
		}
		if _, ok := ev.Rejects(state, info.Index); ok {
			t.Errorf("node %s rejected by index by an evaluator that is not fail-fast", want.Node)
		}
	}
}

// checkEvaluateNodes checks that EvaluateNodes, which the extender and the
// simulator share, gives every node named the verdict, primary reason and
// score of the full evaluation, failing fast or with details (then with
// the full result too), drops repeated names, rejects a name the cache
// does not hold, and tallies the verdicts.
func checkEvaluateNodes(t *testing.T, ev *topology.Evaluator, pod *corev1.Pod, full []topology.NodeResult) {
	t.Helper()
	want := map[string]verdict{"ghost": {Primary: topology.ErrReasonNodeUnknown}}
	if !topology.HasClaims(pod) {
		want["ghost"] = verdict{Fits: true}
	}
	var names [][]byte
	for _, r := range full {
		want[r.Node] = verdictOf(r)
		names = append(names, []byte(r.Node), []byte("ghost"), []byte(r.Node))
	}
	if len(names) == 0 {
		names = append(names, []byte("ghost"))
	}
	for _, e := range []*topology.Evaluator{ev.FailFast(), ev.WithDetails()} {
		state := e.Prepare(pod)
		cands := topology.ResolveNodes(e.Cluster(), names, 2)
		tally := e.EvaluateNodes(state, cands, 2)
		got := map[string]verdict{}
		var wantTally topology.Tally
		for _, c := range cands {
			if _, dup := got[c.Name]; dup {
				t.Errorf("node %s is a candidate twice", c.Name)
			}
			got[c.Name] = verdict{Fits: c.Fits, Unresolvable: c.Unresolvable, Primary: c.Message, Score: c.Score}
			countVerdict(&wantTally, c)
			if c.Fits != (c.Code == "") {
				t.Errorf("node %s: fits %v with code %q", c.Name, c.Fits, c.Code)
			}
			if c.Result == nil {
				continue
			}
			wantResult := topology.NodeResult{Node: c.Name, Reasons: topology.Reasons{{Code: topology.CodeNodeUnknown, Message: topology.ErrReasonNodeUnknown}}}
			if node, ok := e.Cluster().Node(c.Name); ok {
				wantResult = e.Evaluate(state, node)
			} else if !topology.HasClaims(pod) {
				wantResult = topology.NodeResult{Node: c.Name}
			}
			if diff := cmp.Diff(wantResult, *c.Result, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("node %s, result (-Evaluate,+EvaluateNodes):\n%s", c.Name, diff)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EvaluateNodes (-full,+EvaluateNodes):\n%s", diff)
		}
		if diff := cmp.Diff(wantTally, tally, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("tally (-verdicts,+EvaluateNodes):\n%s", diff)
		}
		topology.ReleaseCandidates(cands)
	}
}

// pluginVerdict is what kube-scheduler keeps of a node from the plugin's
// cycle, or what it should keep given the extender's verdict.
type pluginVerdict struct {
	Code    fwk.Code
	Message string
	Score   int64
}

// checkPlugin runs a scheduling cycle of the scheduler plugin, with the
// same options over a store of the same objects, and checks that it gives
// every node the extender's verdict, reason line and score: a pod without
// claims is skipped and fits everywhere; a node PreFilter leaves out is
// one the rules reject for good; Filter fails the others as the full
// evaluation does, with its primary reason, Unschedulable or
// UnschedulableAndUnresolvable as that is resolvable or not; a node that
// fits has the full evaluation's score, scaled to the framework's range.
func checkPlugin(t *testing.T, objs []runtime.Object, pod *corev1.Pod, opts topology.Options, full []topology.NodeResult) {
	t.Helper()
	s, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatalf("building the plugin's store: %v", err)
	}
	c := plugintest.Schedule(t.Context(), plugin.NewForStore(s, opts), pod, s.Nodes())
	claims := topology.HasClaims(pod)
	switch {
	case !claims && !c.PreFilter.IsSkip():
		t.Errorf("plugin's PreFilter on a pod without claims: %v, want Skip", c.PreFilter)
	case claims && !c.PreFilter.IsSuccess():
		t.Fatalf("plugin's PreFilter: %v", c.PreFilter)
	}
	wantPreScore := fwk.Success // or it did not run: no node fits
	if !claims {
		wantPreScore = fwk.Skip
	}
	if c.PreScore.Code() != wantPreScore {
		t.Errorf("plugin's PreScore: %v, want %v", c.PreScore, wantPreScore)
	}
	if !c.Score.IsSuccess() {
		t.Errorf("plugin's scoring: %v", c.Score)
	}
	got := map[string]plugintest.Node{}
	for _, n := range c.Nodes {
		got[n.Name] = n
	}
	for _, r := range full {
		n, ok := got[r.Node]
		if !ok {
			t.Errorf("node %s not in the plugin's cycle", r.Node)
			continue
		}
		if n.Excluded {
			if r.Fits() || !r.Reasons.Unresolvable() {
				t.Errorf("node %s left out by the plugin's PreFilter, the extender gives fits %v, unresolvable %v (%s)",
					r.Node, r.Fits(), r.Reasons.Unresolvable(), r.Reasons.Primary())
			}
			continue
		}
		want := pluginVerdict{Score: r.Score * (fwk.MaxScore / topology.MaxScore)}
		if !claims {
			want.Score = 0 // PreScore skips the pod: Score does not run
		}
		switch {
		case r.Reasons.Unresolvable():
			want = pluginVerdict{Code: fwk.UnschedulableAndUnresolvable, Message: r.Reasons.Primary().String()}
		case !r.Fits():
			want = pluginVerdict{Code: fwk.Unschedulable, Message: r.Reasons.Primary().String()}
		}
		if diff := cmp.Diff(want, pluginVerdict{Code: n.Code, Message: n.Message, Score: n.Score}); diff != "" {
			t.Errorf("node %s, plugin (-extender,+plugin):\n%s", r.Node, diff)
		}
	}
	if len(c.Nodes) != len(full) {
		t.Errorf("the plugin's cycle has %d nodes, the extender evaluated %d", len(c.Nodes), len(full))
	}
}

// countVerdict adds a candidate's verdict to a tally, the plain way,
// keeping the lines sorted.
func countVerdict(t *topology.Tally, c topology.Candidate) {
	switch {
	case c.Fits:
		t.Fits++
		return
	case c.Unresolvable:
		t.Unresolvable++
	default:
		t.Failed++
	}
	i, found := slices.BinarySearchFunc(t.Rejected, c.Message, func(r topology.RejectCount, line string) int { return strings.Compare(r.Message, line) })
	if !found {
		t.Rejected = slices.Insert(t.Rejected, i, topology.RejectCount{Code: c.Code, Message: c.Message})
	}
	t.Rejected[i].Nodes++
}

func verdictOf(r topology.NodeResult) verdict {
	return verdict{Fits: r.Fits(), Unresolvable: r.Reasons.Unresolvable(), Primary: r.Reasons.Primary().String(), Score: r.Score}
}

func runEvalCases(t *testing.T, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]outcome{}
			for _, r := range evaluate(t, tt.objs, tt.pod, tt.opts) {
				got[r.Node] = outcome{Reasons: r.Reasons.String(), Unresolvable: r.Reasons.Unresolvable()}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome per node (-want,+got):\n%s", diff)
			}
		})
	}
}

func objects(objs ...runtime.Object) []runtime.Object { return objs }

// scores evaluates the pod and returns each fitting node's score.
func scores(t *testing.T, objs []runtime.Object, pod *corev1.Pod, opts *topology.Options) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, r := range evaluate(t, objs, pod, opts) {
		if r.Fits() {
			out[r.Node] = r.Score
		}
	}
	return out
}
