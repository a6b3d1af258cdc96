package plugin

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

const driver = "csi.example.com"

// verdict is one node's outcome, as the framework's status or as the
// extender's evaluation gives it.
type verdict struct {
	Code    fwk.Code
	Message string
	Score   int64
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

// TestFilterAndScoreMatchTheExtender checks the plugin's verdicts, reason
// lines and scores against the extender's evaluation
// (Evaluator.EvaluateNodes of a fail-fast evaluator) on the same objects,
// and the nodes PreFilter narrows the cycle to.
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
			ctx := t.Context()
			pl, s := staticPlugin(t, tt.objs...)
			cs := newCycleState()
			res, status := pl.PreFilter(ctx, cs, tt.pod, nodeInfos(s))
			if got := status.IsSkip(); got != tt.wantSkip {
				t.Fatalf("PreFilter skipped: %v, want %v (%v)", got, tt.wantSkip, status)
			}
			if tt.wantSkip {
				return
			}
			if !status.IsSuccess() {
				t.Fatalf("PreFilter: %v", status)
			}
			var pinned []string
			if !res.AllNodes() {
				pinned = sets.List(res.NodeNames)
			}
			if diff := cmp.Diff(tt.wantPinned, pinned); diff != "" {
				t.Errorf("PreFilter's nodes (-want,+got):\n%s", diff)
			}

			ev := topology.NewEvaluator(s, DefaultOptions()).FailFast()
			cands := topology.AllNodes(s)
			ev.EvaluateNodes(ev.Prepare(tt.pod), cands, 1)
			want, got := map[string]verdict{}, map[string]verdict{}
			var scores fwk.NodeScoreList
			for _, c := range cands {
				w := verdict{Score: c.Score * scoreScale}
				if !c.Fits {
					w = verdict{Code: fwk.Unschedulable, Message: c.Message}
					if c.Unresolvable {
						w.Code = fwk.UnschedulableAndUnresolvable
					}
				}
				want[c.Name] = w

				info := nodeInfoDouble{node: c.Info.Node}
				fs := pl.Filter(ctx, cs, tt.pod, info)
				g := verdict{Code: fs.Code()}
				if fs != nil {
					g.Message = strings.Join(fs.Reasons(), "; ")
				}
				if fs.IsSuccess() {
					score, sst := pl.Score(ctx, cs, tt.pod, info)
					if !sst.IsSuccess() {
						t.Fatalf("Score on %s: %v", c.Name, sst)
					}
					scores = append(scores, fwk.NodeScore{Name: c.Name, Score: score})
				}
				got[c.Name] = g
			}
			if pre := pl.PreScore(ctx, cs, tt.pod, nil); !pre.IsSuccess() {
				t.Fatalf("PreScore: %v", pre)
			}
			if ns := pl.NormalizeScore(ctx, cs, tt.pod, scores); !ns.IsSuccess() {
				t.Fatalf("NormalizeScore: %v", ns)
			}
			for _, sc := range scores {
				g := got[sc.Name]
				g.Score = sc.Score
				got[sc.Name] = g
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdicts (-extender,+plugin):\n%s", diff)
			}
			fits := 0
			for _, g := range got {
				if g.Code == fwk.Success {
					fits++
				}
			}
			if fits != tt.wantFits {
				t.Errorf("%d nodes fit, want %d: %v", fits, tt.wantFits, got)
			}
			for name := range got {
				if tt.wantPinned != nil && !slices.Contains(tt.wantPinned, name) && got[name].Code != fwk.UnschedulableAndUnresolvable {
					t.Errorf("node %s outside PreFilter's nodes fits", name)
				}
			}
		})
	}
}
