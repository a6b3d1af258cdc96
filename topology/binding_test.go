package topology_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

const driver = "csi.example.com"

func TestDelayedBinding(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	na, nb := st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj()
	wffc := st.MakeStorageClass("wffc", driver).Obj()
	local := st.MakeStorageClass("local", "kubernetes.io/no-provisioner").Obj()
	claim := st.MakePVC("data").Class("wffc").Obj()
	localClaim := st.MakePVC("data").Class("local").Request("5Gi").Obj()
	bindConflict := unresolvable(topology.ErrReasonBindConflict + " (data)")
	localPV := func(name, node string) *st.PVWrapper {
		return st.MakePV(name).Class("local").NodeAffinityIn(corev1.LabelHostname, node)
	}

	tests := []evalCase{
		{
			name: "dynamic provisioning without restrictions fits everywhere",
			objs: objects(na, nb, wffc, claim),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": fits},
		},
		{
			name: "selected node names another node",
			objs: objects(na, nb, wffc, st.MakePVC("data").Class("wffc").SelectedNode("nb").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict, "nb": fits},
		},
		{
			name: "no-provisioner class without a PV",
			objs: objects(na, local, localClaim),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV binds only on its node",
			objs: objects(na, nb, local, localClaim, localPV("pv-a", "na").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": bindConflict},
		},
		{
			name: "local PV too small",
			objs: objects(na, local, localClaim, localPV("pv-a", "na").Capacity("1Gi").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV already bound to another claim",
			objs: objects(na, local, localClaim, localPV("pv-a", "na").BoundTo("default", "other").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV not Available",
			objs: objects(na, local, localClaim, localPV("pv-a", "na").Phase(corev1.VolumeReleased).Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV with the wrong access modes",
			objs: objects(na, local, st.MakePVC("data").Class("local").AccessModes(corev1.ReadWriteMany).Obj(), localPV("pv-a", "na").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV outside the claim's selector",
			objs: objects(na, local, st.MakePVC("data").Class("local").Selector(map[string]string{"tier": "gold"}).Obj(), localPV("pv-a", "na").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			name: "local PV of a block volume mode for a filesystem claim",
			objs: objects(na, local, localClaim, func() *corev1.PersistentVolume {
				pv := localPV("pv-a", "na").Obj()
				block := corev1.PersistentVolumeBlock
				pv.Spec.VolumeMode = &block
				return pv
			}()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict},
		},
		{
			// Smaller claims pick first, as in kube-scheduler: logs takes
			// the only PV on nb and data finds none.
			name: "two claims need two PVs on the same node",
			objs: objects(na, nb, local, localClaim, st.MakePVC("logs").Class("local").Obj(),
				localPV("pv-a1", "na").Obj(), localPV("pv-a2", "na").Obj(), localPV("pv-b1", "nb").Obj()),
			pod: st.MakePod("p").PVC("data").PVC("logs").Obj(),
			want: map[string]outcome{
				"na": fits,
				"nb": bindConflict,
			},
		},
		{
			name: "PV pre-bound to the claim is the only candidate",
			objs: objects(na, nb, local, localClaim, localPV("pv-a", "na").Obj(), localPV("pv-b", "nb").PreBoundTo("default", "data").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict, "nb": fits},
		},
		{
			name: "static PV of a provisioning class falls back to provisioning elsewhere",
			objs: objects(na, nb, wffc, claim, st.MakePV("pv-a").Class("wffc").NodeAffinityIn(zoneKey, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": fits},
		},
		{
			name: "allowedTopologies excludes a zone",
			objs: objects(na, nb, st.MakeStorageClass("wffc", driver).AllowedTopology(zoneKey, "b").Obj(), claim),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict, "nb": fits},
		},
		{
			name: "allowedTopologies terms are ORed",
			objs: objects(na, nb, st.MakeStorageClass("wffc", driver).AllowedTopology(zoneKey, "b").AllowedTopology("rack", "r1").Obj(), claim),
			pod:  pod,
			want: map[string]outcome{"na": bindConflict, "nb": fits},
		},
		{
			name: "node lacks a topology key the driver declares",
			objs: objects(na, st.MakeNode("bare").Obj(), wffc, claim, st.MakeCSIDriver(driver).Obj(),
				st.MakeCSINode("na").Driver(driver, zoneKey).Obj(), st.MakeCSINode("bare").Driver(driver, zoneKey).Obj()),
			pod: pod,
			want: map[string]outcome{
				"na":   fits,
				"bare": unresolvable(topology.ErrReasonMissingTopologyLabels + " (" + driver + ")"),
			},
		},
	}
	runEvalCases(t, tests)
}

func TestCapacity(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	na, nb := st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj()
	wffc := st.MakeStorageClass("wffc", driver).Obj()
	claim := st.MakePVC("data").Class("wffc").Request("50Gi").Obj()
	tracking := st.MakeCSIDriver(driver).StorageCapacity(true).Obj()
	csiNodes := objects(st.MakeCSINode("na").Driver(driver, zoneKey).Obj(), st.MakeCSINode("nb").Driver(driver, zoneKey).Obj())
	capA := func(q string) *st.CapacityWrapper {
		return st.MakeCapacity("cap-a", "wffc").Topology(zoneKey, "a").Capacity(q)
	}
	capB := func(q string) *st.CapacityWrapper {
		return st.MakeCapacity("cap-b", "wffc").Topology(zoneKey, "b").Capacity(q)
	}
	notEnough := unresolvable(topology.ErrReasonNotEnoughSpace + " (data)")

	tests := []evalCase{
		{
			name: "one zone too small",
			objs: append(objects(na, nb, wffc, claim, tracking, capA("100Gi").Obj(), capB("10Gi").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "maximumVolumeSize limits before capacity",
			objs: append(objects(na, nb, wffc, claim, tracking, capA("100Gi").MaximumVolumeSize("20Gi").Obj(), capB("60Gi").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": notEnough, "nb": fits},
		},
		{
			name: "no capacity object for a zone",
			objs: append(objects(na, nb, wffc, claim, tracking, capA("100Gi").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": notEnough},
		},
		{
			name: "capacity without nodeTopology reaches no node",
			objs: append(objects(na, wffc, claim, tracking, st.MakeCapacity("c", "wffc").Capacity("1Ti").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": notEnough},
		},
		{
			name: "capacity of another class does not count",
			objs: append(objects(na, wffc, claim, tracking, st.MakeCapacity("c", "other").Topology(zoneKey, "a").Capacity("1Ti").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": notEnough},
		},
		{
			name: "exactly enough",
			objs: append(objects(na, wffc, claim, tracking, capA("50Gi").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": fits},
		},
		{
			name: "driver without capacity tracking is not checked",
			objs: append(objects(na, wffc, claim, st.MakeCSIDriver(driver).StorageCapacity(false).Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": fits},
		},
		{
			name: "provisioner without a CSIDriver object is not checked",
			objs: objects(na, wffc, claim, capA("1Gi").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits},
		},
		{
			name: "claim without a storage request is not checked",
			objs: append(objects(na, wffc, st.MakePVC("data").Class("wffc").NoRequest().Obj(), tracking), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"na": fits},
		},
	}
	runEvalCases(t, tests)
}

// A node outside a class's allowedTopologies because its driver never
// registered (so kubelet never labeled it) is told apart in the detail.
func TestAllowedTopologiesDetail(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	class := st.MakeStorageClass("wffc", driver).AllowedTopology(zoneKey, "a").Obj()
	objs := objects(
		st.MakeNode("registered").Zone("b").Obj(), st.MakeCSINode("registered").Driver(driver, zoneKey).Obj(),
		st.MakeNode("bare").Obj(),
		class, st.MakePVC("data").Class("wffc").Obj(),
	)
	snap, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithDetails()
	state := ev.Prepare(pod)
	got := map[string][]string{}
	for _, name := range []string{"registered", "bare"} {
		node, _ := snap.Node(name)
		got[name] = ev.Evaluate(state, node).Reasons.Primary().Detail
	}
	want := map[string][]string{
		"registered": {"claim data: the node is outside the allowedTopologies of class wffc"},
		"bare":       {"claim data: the node is outside the allowedTopologies of class wffc; driver " + driver + " is not registered on the node (not in its CSINode)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}
