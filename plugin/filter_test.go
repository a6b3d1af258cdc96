package plugin

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/plugin/plugintest"
	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

const driver = "csi.example.com"

// verdict is one node's outcome, as the framework's status or as the
// extender's evaluation gives it.
type verdict struct {
	// Excluded is true for a node PreFilter's result leaves out.
	Excluded bool
	Code     fwk.Code
	Message  string
	Score    int64
}

// zonalCluster has three nodes in three zones, each with the driver and
// an attach limit of one.
func zonalCluster(extra ...runtime.Object) []runtime.Object {
	objs := []runtime.Object{st.MakeStorageClass("wffc", driver).Obj()}
	for _, z := range []string{"a", "b", "c"} {
		objs = append(objs, st.MakeNode("n-"+z).Zone(z).Obj(), st.MakeCSINode("n-"+z).LimitedDriver(driver, 1).Obj())
	}
	return append(objs, extra...)
}

// TestFilterAndScoreMatchTheExtender runs a scheduling cycle of the plugin
// (plugintest.Schedule) and checks its verdicts, reason lines and scores
// against the extender's evaluation (Evaluator.EvaluateNodes of a
// fail-fast evaluator) on the same objects, and the nodes PreFilter
// narrows the cycle to.
func TestFilterAndScoreMatchTheExtender(t *testing.T) {
	tests := []struct {
		name       string
		objs       []runtime.Object
		pod        *corev1.Pod
		wantSkip   bool
		wantPinned []string // nil: every node
		wantFits   int
	}{
		{
			name:     "a pod without claims is skipped",
			objs:     zonalCluster(),
			pod:      st.MakePod("web").EmptyDir("tmp").Obj(),
			wantSkip: true,
		},
		{
			name: "a local PV pins the pod to its node",
			objs: zonalCluster(
				st.MakePV("local").NodeAffinityIn(corev1.LabelTopologyZone, "b").Obj(),
				st.MakePVC("data").BoundTo("local").Obj(),
			),
			pod:        st.MakePod("web").PVC("data").Obj(),
			wantPinned: []string{"n-b"},
			wantFits:   1,
		},
		{
			name: "a PV no node admits fails every node with its reason",
			objs: zonalCluster(
				st.MakePV("local").NodeAffinityIn(corev1.LabelTopologyZone, "z").Obj(),
				st.MakePVC("data").BoundTo("local").Obj(),
			),
			pod:      st.MakePod("web").PVC("data").Obj(),
			wantFits: 0,
		},
		{
			// The FailedScheduling event then counts each node by its own
			// reason, as under the extender.
			name: "a pod that fits none of the nodes its PV pins it to is not narrowed",
			objs: zonalCluster(
				st.MakePV("used").CSI(driver, "h0").BoundTo("default", "used").Obj(),
				st.MakePVC("used").BoundTo("used").Obj(),
				st.MakePod("other").PVC("used").Node("n-b").Obj(),
				st.MakePV("local").CSI(driver, "h1").NodeAffinityIn(corev1.LabelTopologyZone, "b").Obj(),
				st.MakePVC("data").BoundTo("local").Obj(),
			),
			pod:      st.MakePod("web").PVC("data").Obj(),
			wantFits: 0,
		},
		{
			name: "a full attach limit fails the node resolvably",
			objs: zonalCluster(
				st.MakePV("used").CSI(driver, "h0").BoundTo("default", "used").Obj(),
				st.MakePVC("used").BoundTo("used").Obj(),
				st.MakePod("other").PVC("used").Node("n-a").Obj(),
				st.MakePV("pv").CSI(driver, "h1").BoundTo("default", "data").Obj(),
				st.MakePVC("data").BoundTo("pv").Obj(),
			),
			pod:      st.MakePod("web").PVC("data").Obj(),
			wantFits: 2,
		},
		{
			name:     "a missing claim fails every node",
			objs:     zonalCluster(),
			pod:      st.MakePod("web").PVC("gone").Obj(),
			wantFits: 0,
		},
		{
			name: "a claim to provision scores by its class",
			objs: zonalCluster(
				st.MakePVC("data").Class("wffc").Request("1Gi").Obj(),
			),
			pod:      st.MakePod("web").PVC("data").Obj(),
			wantFits: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, s := staticPlugin(t, tt.objs...)
			c := plugintest.Schedule(t.Context(), pl, tt.pod, s.Nodes())
			if got := c.PreFilter.IsSkip(); got != tt.wantSkip {
				t.Fatalf("PreFilter skipped: %v, want %v (%v)", got, tt.wantSkip, c.PreFilter)
			}
			if tt.wantSkip {
				for _, n := range c.Nodes {
					if !n.Fits() || n.Score != 0 {
						t.Errorf("node %s of a skipped pod: %+v, want it to fit unscored", n.Name, n)
					}
				}
				if !c.PreScore.IsSkip() {
					t.Errorf("PreScore of a skipped pod: %v, want Skip", c.PreScore)
				}
				return
			}
			if !c.PreFilter.IsSuccess() {
				t.Fatalf("PreFilter: %v", c.PreFilter)
			}
			if !c.PreScore.IsSuccess() || !c.Score.IsSuccess() {
				t.Fatalf("PreScore: %v, Score: %v", c.PreScore, c.Score)
			}
			var pinned []string
			if slices.ContainsFunc(c.Nodes, func(n plugintest.Node) bool { return n.Excluded }) {
				for _, n := range c.Nodes {
					if !n.Excluded {
						pinned = append(pinned, n.Name)
					}
				}
				slices.Sort(pinned)
			}
			if diff := cmp.Diff(tt.wantPinned, pinned); diff != "" {
				t.Errorf("PreFilter's nodes (-want,+got):\n%s", diff)
			}

			ev := topology.NewEvaluator(s, DefaultOptions()).FailFast()
			cands := topology.AllNodes(s)
			ev.EvaluateNodes(ev.Prepare(tt.pod), cands, 1)
			want := map[string]verdict{}
			for _, cand := range cands {
				w := verdict{Score: cand.Score * scoreScale}
				switch {
				case tt.wantPinned != nil && !slices.Contains(tt.wantPinned, cand.Name):
					// Left out by PreFilter: the extender must reject the
					// node for good.
					if cand.Fits || !cand.Unresolvable {
						t.Errorf("node %s outside PreFilter's nodes: the extender gives fits %v, unresolvable %v", cand.Name, cand.Fits, cand.Unresolvable)
					}
					w = verdict{Excluded: true, Code: fwk.UnschedulableAndUnresolvable, Message: "node(s) didn't satisfy plugin(s) [" + Name + "]"}
				case !cand.Fits:
					w = verdict{Code: fwk.Unschedulable, Message: cand.Message}
					if cand.Unresolvable {
						w.Code = fwk.UnschedulableAndUnresolvable
					}
				}
				want[cand.Name] = w
			}
			got := map[string]verdict{}
			fits := 0
			for _, n := range c.Nodes {
				got[n.Name] = verdict{Excluded: n.Excluded, Code: n.Code, Message: n.Message, Score: n.Score}
				if n.Fits() {
					fits++
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdicts (-extender,+plugin):\n%s", diff)
			}
			if fits != tt.wantFits {
				t.Errorf("%d nodes fit, want %d: %v", fits, tt.wantFits, got)
			}
		})
	}
}
