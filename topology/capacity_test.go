package topology_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// capacityCluster is two nodes in zones a and b of a capacity-tracking
// driver and a WaitForFirstConsumer class "wffc", without capacities.
func capacityCluster(extra ...runtime.Object) []runtime.Object {
	return append(objects(
		st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj(),
		st.MakeCSINode("na").Driver(driver, zoneKey).Obj(), st.MakeCSINode("nb").Driver(driver, zoneKey).Obj(),
		st.MakeCSIDriver(driver).StorageCapacity(true).Obj(),
		st.MakeStorageClass("wffc", driver).Obj(),
	), extra...)
}

func zoneCapacity(zone, q string) *st.CapacityWrapper {
	return st.MakeCapacity("cap-"+zone, "wffc").Topology(zoneKey, zone).Capacity(q)
}

func TestCapacitySumsClaims(t *testing.T) {
	twoClaims := st.MakePod("p").PVC("data").PVC("logs").Obj()
	claims := objects(st.MakePVC("data").Class("wffc").Request("110Gi").Obj(), st.MakePVC("logs").Class("wffc").Request("110Gi").Obj())
	notEnough := unresolvable(topology.ErrReasonNotEnoughSpace + " (data, logs)")
	tests := []evalCase{
		{
			name: "two claims that fit one by one but not together",
			objs: capacityCluster(append(claims, zoneCapacity("a", "120Gi").Obj(), zoneCapacity("b", "220Gi").Obj())...),
			pod:  twoClaims,
			want: map[string]outcome{"na": notEnough, "nb": fits},
		},
		{
			name: "maximumVolumeSize limits each volume, capacity their sum",
			objs: capacityCluster(append(claims,
				zoneCapacity("a", "300Gi").MaximumVolumeSize("110Gi").Obj(),
				zoneCapacity("b", "300Gi").MaximumVolumeSize("100Gi").Obj())...),
			pod:  twoClaims,
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "maximumVolumeSize alone does not sum",
			objs: capacityCluster(append(claims, st.MakeCapacity("max-a", "wffc").Topology(zoneKey, "a").MaximumVolumeSize("110Gi").Obj())...),
			pod:  twoClaims,
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "two segments on a node take one claim each",
			objs: append(objects(
				st.MakeNode("na").Zone("a").Label("rack", "r1").Obj(), st.MakeNode("nb").Zone("b").Obj(),
				st.MakeCSINode("na").Driver(driver, zoneKey).Obj(), st.MakeCSINode("nb").Driver(driver, zoneKey).Obj(),
				st.MakeCSIDriver(driver).StorageCapacity(true).Obj(), st.MakeStorageClass("wffc", driver).Obj(),
				zoneCapacity("a", "120Gi").Obj(), st.MakeCapacity("rack", "wffc").Topology("rack", "r1").Capacity("120Gi").Obj(),
			), claims...),
			pod:  twoClaims,
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
	}
	runEvalCases(t, tests)
}

func TestCapacityTakenByOtherPlacements(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	pod := st.MakePod("p").PVC("data").Obj()
	data := st.MakePVC("data").Class("wffc").Request("60Gi").Obj()
	capA := zoneCapacity("a", "100Gi").Written(now.Add(-time.Minute)).Obj()
	assigned := func(name string) *st.PVCWrapper {
		return st.MakePVC(name).Class("wffc").Request("50Gi").SelectedNode("na")
	}
	provisionedPV := func(name string, created time.Time) *st.PVWrapper {
		return st.MakePV("pv-"+name).Class("wffc").Capacity("50Gi").CSI(driver, name).BoundTo("default", name).Created(created)
	}
	provisioned := func(name string, created time.Time) []runtime.Object {
		return objects(assigned(name).BoundTo("pv-"+name).Obj(), provisionedPV(name, created).Obj())
	}
	notEnough := unresolvable(topology.ErrReasonNotEnoughSpace + " (data)")
	tests := []struct {
		name  string
		objs  []runtime.Object
		holds func(*topology.Evaluator)
		want  map[string]outcome
	}{
		{
			name: "nothing taken",
			objs: capacityCluster(data, capA),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "a claim assigned to the node and not provisioned yet",
			objs: capacityCluster(data, capA, assigned("other").Obj()),
			want: map[string]outcome{"na": notEnough, "nb": notEnough},
		},
		{
			name: "a claim assigned to a node of another segment",
			objs: capacityCluster(data, capA, zoneCapacity("b", "100Gi").Obj(), assigned("other").SelectedNode("nb").Obj()),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "a claim of another class",
			objs: capacityCluster(data, capA, assigned("other").Class("other").Obj()),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "a volume provisioned after the capacity was written",
			objs: capacityCluster(append(objects(data, capA), provisioned("other", now.Add(-30*time.Second))...)...),
			want: map[string]outcome{"na": notEnough, "nb": notEnough},
		},
		{
			name: "a volume provisioned in the second the capacity was written, in unknown order",
			objs: capacityCluster(append(objects(data, capA), provisioned("other", now.Add(-time.Minute))...)...),
			want: map[string]outcome{"na": notEnough, "nb": notEnough},
		},
		{
			name: "a volume provisioned in the second the capacity was written, before it",
			objs: capacityCluster(data, zoneCapacity("a", "100Gi").Written(now.Add(-time.Minute)).ResourceVersion("20").Obj(),
				assigned("other").BoundTo("pv-other").Obj(), provisionedPV("other", now.Add(-time.Minute)).ResourceVersion("19").Obj()),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "a volume provisioned in the second the capacity was written, after it",
			objs: capacityCluster(data, zoneCapacity("a", "100Gi").Written(now.Add(-time.Minute)).ResourceVersion("20").Obj(),
				assigned("other").BoundTo("pv-other").Obj(), provisionedPV("other", now.Add(-time.Minute)).ResourceVersion("100").Obj()),
			want: map[string]outcome{"na": notEnough, "nb": notEnough},
		},
		{
			name: "a volume provisioned before the capacity was written",
			objs: capacityCluster(append(objects(data, capA), provisioned("other", now.Add(-2*time.Minute))...)...),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "a volume provisioned longer ago than the refresh window",
			objs: capacityCluster(append(objects(data, zoneCapacity("a", "100Gi").Written(now.Add(-time.Hour)).Obj()),
				provisioned("other", now.Add(-topology.DefaultCapacityRefresh-time.Second))...)...),
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "the pod's own claim, assigned in an earlier attempt, counts once",
			objs: capacityCluster(st.MakePVC("data").Class("wffc").Request("60Gi").SelectedNode("na").Obj(), capA),
			want: map[string]outcome{"na": fits, "nb": unresolvable(topology.ErrReasonBindConflict + " (data)")},
		},
		{
			name: "capacity held by a pod being scheduled",
			objs: capacityCluster(data, capA, st.MakePVC("other").Class("wffc").Request("50Gi").Obj()),
			holds: func(ev *topology.Evaluator) {
				ev.Holds().Hold(ev.Prepare(podUID(st.MakePod("q").PVC("other").Obj(), "q")))
			},
			want: map[string]outcome{"na": notEnough, "nb": notEnough},
		},
		{
			name: "a hold ends when the API shows the claim's node",
			objs: capacityCluster(data, capA, zoneCapacity("b", "100Gi").Obj(), assigned("other").SelectedNode("nb").Obj()),
			holds: func(ev *topology.Evaluator) {
				ev.Holds().Hold(ev.Prepare(podUID(st.MakePod("q").PVC("other").Obj(), "q")))
			},
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := store.NewStatic(tt.objs...)
			if err != nil {
				t.Fatal(err)
			}
			clock := func() time.Time { return now }
			ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithClock(clock).WithHolds(topology.NewHolds(time.Minute, clock))
			if tt.holds != nil {
				tt.holds(ev)
			}
			state := ev.Prepare(podUID(pod, "p"))
			got := map[string]outcome{}
			for _, node := range snap.Nodes() {
				r := ev.Evaluate(state, node)
				got[node.Name] = outcome{Reasons: r.Reasons.String(), Unresolvable: r.Reasons.Unresolvable()}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome per node (-want,+got):\n%s", diff)
			}
		})
	}
}

func podUID(pod *corev1.Pod, uid string) *corev1.Pod {
	pod = pod.DeepCopy()
	pod.UID = types.UID(uid)
	return pod
}

func TestCapacityDetail(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	objs := capacityCluster(
		st.MakePVC("data").Class("wffc").Request("110Gi").Obj(),
		st.MakePVC("logs").Class("wffc").Request("110Gi").Obj(),
		st.MakePVC("big").Class("wffc").Request("1Ti").Obj(),
		st.MakePVC("other").Class("wffc").Request("30Gi").SelectedNode("na").Obj(),
		zoneCapacity("a", "150Gi").Obj(),
		zoneCapacity("b", "300Gi").MaximumVolumeSize("200Gi").Obj(),
	)
	snap, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithDetails().WithClock(func() time.Time { return now })
	detail := func(pod *corev1.Pod, node string) []string {
		n, _ := snap.Node(node)
		return ev.Evaluate(ev.Prepare(pod), n).Reasons.Primary().Detail
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		node string
		want []string
	}{
		{
			name: "the sum of two claims and what another placement took",
			pod:  st.MakePod("p").PVC("data").PVC("logs").Obj(),
			node: "na",
			want: []string{"claims data, logs: requested 220Gi of 120Gi free in CSIStorageCapacity kube-system/cap-a (150Gi reported, 30Gi taken by 1 claim placed since the driver last reported)"},
		},
		{
			name: "a volume larger than maximumVolumeSize",
			pod:  st.MakePod("p").PVC("big").Obj(),
			node: "nb",
			want: []string{"claim big: requested 1Ti, larger than the maximumVolumeSize 200Gi of class wffc on the node"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, detail(tt.pod, tt.node)); diff != "" {
				t.Errorf("detail (-want,+got):\n%s", diff)
			}
		})
	}
}
