package topology_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// TestHolds plays the life of a capacity hold: a pod that passed filter
// holds its claim's size against its class until the claim is annotated,
// released, or expired; Settle waits for that.
func TestHolds(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	base := capacityCluster(zoneCapacity("a", "100Gi").Obj(),
		st.MakePVC("data").Class("wffc").Request("60Gi").Obj(), st.MakePVC("other").Class("wffc").Request("50Gi").Obj())
	pod, holder := podUID(st.MakePod("p").PVC("data").Obj(), "p"), podUID(st.MakePod("q").PVC("other").Obj(), "q")

	fitsOnA := func(t *testing.T, objs []runtime.Object, holds *topology.Holds) bool {
		t.Helper()
		snap, err := store.NewStatic(objs...)
		if err != nil {
			t.Fatal(err)
		}
		ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithClock(clock).WithHolds(holds)
		node, _ := snap.Node("na")
		r := ev.Evaluate(ev.Prepare(pod), node)
		return r.Fits()
	}
	hold := func(t *testing.T, holds *topology.Holds) {
		t.Helper()
		snap, err := store.NewStatic(base...)
		if err != nil {
			t.Fatal(err)
		}
		ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithHolds(holds)
		holds.Hold(ev.Prepare(holder))
	}
	annotated := append(append([]runtime.Object(nil), base[:len(base)-1]...),
		st.MakePVC("other").Class("wffc").Request("50Gi").SelectedNode("nb").Obj())

	tests := []struct {
		name  string
		step  func(*topology.Holds)
		objs  []runtime.Object
		fits  bool
		after time.Duration
	}{
		{name: "no hold", objs: base, fits: true},
		{name: "held by a pod being scheduled", step: func(*topology.Holds) {}, objs: base, fits: false},
		{name: "released", step: func(h *topology.Holds) {
			snap, _ := store.NewStatic(base...)
			h.Release(topology.NewEvaluator(snap, topology.DefaultOptions()).Prepare(holder))
		}, objs: base, fits: true},
		{name: "expired", step: func(*topology.Holds) {}, objs: base, after: 11 * time.Second, fits: true},
		{name: "annotated elsewhere", step: func(*topology.Holds) {}, objs: annotated, fits: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holds := topology.NewHolds(10*time.Second, func() time.Time { return now })
			if tt.step != nil {
				hold(t, holds)
				tt.step(holds)
			}
			now = now.Add(tt.after)
			if got := fitsOnA(t, tt.objs, holds); got != tt.fits {
				t.Errorf("fits on na = %v, want %v", got, tt.fits)
			}
		})
	}

	t.Run("settle", func(t *testing.T) {
		holds := topology.NewHolds(10*time.Second, nil)
		hold(t, holds)
		held, _ := store.NewStatic(base...)
		placed, _ := store.NewStatic(annotated...)
		settle := func(snap topology.Cluster) bool {
			ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithHolds(holds)
			_, ok := holds.Settle(context.Background(), func() *topology.PodState { return ev.Prepare(pod) }, 20*time.Millisecond)
			return ok
		}
		got := []bool{settle(held), settle(placed)}
		if diff := cmp.Diff([]bool{false, true}, got); diff != "" {
			t.Errorf("Settle while held, then placed (-want,+got):\n%s", diff)
		}
	})
}
