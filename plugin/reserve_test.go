package plugin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/plugin/plugintest"
	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

// TestReserveHoldsUntilUnreserve schedules a pod, reserves it on n-a, and
// filters a second pod: what the first takes on n-a (the ReadWriteOnce
// volume they share, or the node's only attach slot) is taken until
// Unreserve gives it back.
func TestReserveHoldsUntilUnreserve(t *testing.T) {
	tests := []struct {
		name         string
		second       *corev1.Pod
		wantReserved map[string]string // node -> reason line, "" when it fits
	}{
		{
			name:   "the shared ReadWriteOnce volume is in use on n-a",
			second: st.MakePod("second").PVC("shared").Obj(),
			wantReserved: map[string]string{
				"n-a": "",
				"n-b": topology.ErrReasonReadWriteOnceConflict + " (shared)",
				"n-c": topology.ErrReasonReadWriteOnceConflict + " (shared)",
			},
		},
		{
			name:   "n-a's only attach slot is taken",
			second: st.MakePod("second").PVC("other").Obj(),
			wantReserved: map[string]string{
				"n-a": topology.ErrReasonMaxVolumeCountExceeded + " (" + driver + ")",
				"n-b": "",
				"n-c": "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			first := st.MakePod("first").PVC("shared").Obj()
			// The pods are in the informers, unscheduled.
			pl, s := staticPlugin(t, zonalCluster(first, tt.second,
				st.MakePV("shared").CSI(driver, "h1").AccessModes(corev1.ReadWriteOnce).BoundTo("default", "shared").Obj(),
				st.MakePVC("shared").AccessModes(corev1.ReadWriteOnce).BoundTo("shared").Obj(),
				st.MakePV("other").CSI(driver, "h2").BoundTo("default", "other").Obj(),
				st.MakePVC("other").BoundTo("other").Obj(),
			)...)
			firstCycle := plugintest.Schedule(ctx, pl, first, s.Nodes())
			if !firstCycle.PreFilter.IsSuccess() {
				t.Fatalf("PreFilter: %v", firstCycle.PreFilter)
			}
			if status := pl.Reserve(ctx, firstCycle.State, first, "n-a"); !status.IsSuccess() {
				t.Fatalf("Reserve: %v", status)
			}
			filter := func() map[string]string {
				c := plugintest.Schedule(ctx, pl, tt.second, s.Nodes())
				if !c.PreFilter.IsSuccess() {
					t.Fatalf("PreFilter: %v", c.PreFilter)
				}
				out := map[string]string{}
				for _, n := range c.Nodes {
					out[n.Name] = n.Message
				}
				return out
			}
			if diff := cmp.Diff(tt.wantReserved, filter()); diff != "" {
				t.Errorf("with the first pod reserved (-want,+got):\n%s", diff)
			}
			pl.Unreserve(ctx, firstCycle.State, first, "n-a")
			free := map[string]string{"n-a": "", "n-b": "", "n-c": ""}
			if diff := cmp.Diff(free, filter()); diff != "" {
				t.Errorf("after Unreserve (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestReadWriteOncePodReserved checks that a ReadWriteOncePod claim
// reserved for one pod fails every node for another pod with the reason
// kube-scheduler's VolumeRestrictions gives once the first is bound:
// Reserve assumes the first pod on its node, so the claim counts as in use
// rather than in flight (topology.ErrReasonClaimInFlight stays the
// extender's, which cannot assume).
func TestReadWriteOncePodReserved(t *testing.T) {
	ctx := t.Context()
	first, second := st.MakePod("first").PVC("solo").Obj(), st.MakePod("second").PVC("solo").Obj()
	pl, s := staticPlugin(t, zonalCluster(first, second,
		st.MakePV("solo").CSI(driver, "h1").AccessModes(corev1.ReadWriteOncePod).BoundTo("default", "solo").Obj(),
		st.MakePVC("solo").AccessModes(corev1.ReadWriteOncePod).BoundTo("solo").Obj(),
	)...)
	firstCycle := plugintest.Schedule(ctx, pl, first, s.Nodes())
	if !firstCycle.PreFilter.IsSuccess() {
		t.Fatalf("PreFilter: %v", firstCycle.PreFilter)
	}
	if status := pl.Reserve(ctx, firstCycle.State, first, "n-a"); !status.IsSuccess() {
		t.Fatalf("Reserve: %v", status)
	}
	c := plugintest.Schedule(ctx, pl, second, s.Nodes())
	if !c.PreFilter.IsSuccess() {
		t.Fatalf("PreFilter: %v", c.PreFilter)
	}
	got := map[string]verdict{}
	for _, n := range c.Nodes {
		got[n.Name] = verdict{Excluded: n.Excluded, Code: n.Code, Message: n.Message}
	}
	inUse := verdict{Code: fwk.Unschedulable, Message: topology.ErrReasonReadWriteOncePodConflict + " (solo)"}
	want := map[string]verdict{"n-a": inUse, "n-b": inUse, "n-c": inUse}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want,+got):\n%s", diff)
	}
}
