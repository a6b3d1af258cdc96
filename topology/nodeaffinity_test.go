package topology_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

const zoneKey = corev1.LabelTopologyZone

func TestBoundNodeAffinity(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	claim := st.MakePVC("data").BoundTo("pv1").Obj()
	na, nb := st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj()
	conflict := unresolvable(topology.ErrReasonNodeConflict + " (pv1)")

	tests := []evalCase{
		{
			name: "PV without node affinity fits everywhere",
			objs: objects(na, nb, claim, st.MakePV("pv1").BoundTo("default", "data").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": fits},
		},
		{
			name: "label expression selects one zone",
			objs: objects(na, nb, claim, st.MakePV("pv1").BoundTo("default", "data").NodeAffinityIn(zoneKey, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": conflict},
		},
		{
			name: "terms are ORed",
			objs: objects(na, nb, st.MakeNode("nc").Zone("c").Obj(), claim,
				st.MakePV("pv1").BoundTo("default", "data").NodeAffinityIn(zoneKey, "a").NodeAffinityIn(zoneKey, "c").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": conflict, "nc": fits},
		},
		{
			name: "matchFields on metadata.name",
			objs: objects(na, nb, claim, st.MakePV("pv1").BoundTo("default", "data").NodeAffinityName("nb").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": conflict, "nb": fits},
		},
		{
			name: "hostname label differing from the node name is matched as a label",
			objs: objects(
				st.MakeNode("node-1").Label(corev1.LabelHostname, "ip-10-0-0-1").Obj(),
				st.MakeNode("ip-10-0-0-1").Label(corev1.LabelHostname, "other").Obj(),
				claim, st.MakePV("pv1").BoundTo("default", "data").NodeAffinityIn(corev1.LabelHostname, "ip-10-0-0-1").Obj()),
			pod:  pod,
			want: map[string]outcome{"node-1": fits, "ip-10-0-0-1": conflict},
		},
		{
			name: "expressions in one term are ANDed",
			objs: objects(
				st.MakeNode("n1").Zone("a").Label("disk", "ssd").Obj(), na, claim,
				st.MakePV("pv1").BoundTo("default", "data").NodeAffinityTerm(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: zoneKey, Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}},
					{Key: "disk", Operator: corev1.NodeSelectorOpExists},
				}}).Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "na": conflict},
		},
		{
			name: "malformed affinity matches no node",
			objs: objects(na, claim, st.MakePV("pv1").BoundTo("default", "data").NodeAffinityTerm(corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: zoneKey, Operator: "Near", Values: []string{"a"}}},
			}).Obj()),
			pod:  pod,
			want: map[string]outcome{"na": conflict},
		},
		{
			name: "bound to a PV that does not exist",
			objs: objects(na, claim),
			pod:  pod,
			want: map[string]outcome{"na": unresolvable(topology.ErrReasonPVNotExist + " (pv1)")},
		},
		{
			name: "two PVs in different zones fit nowhere",
			objs: objects(na, nb, claim, st.MakePVC("logs").BoundTo("pv2").Obj(),
				st.MakePV("pv1").BoundTo("default", "data").NodeAffinityIn(zoneKey, "a").Obj(),
				st.MakePV("pv2").BoundTo("default", "logs").NodeAffinityIn(zoneKey, "b").Obj()),
			pod: st.MakePod("p").PVC("data").PVC("logs").Obj(),
			want: map[string]outcome{
				"na": unresolvable(topology.ErrReasonNodeConflict + " (pv2)"),
				"nb": conflict,
			},
		},
		{
			// One reason line names both PVs: a node rejected by the first
			// PV's affinity alone would name one.
			name: "a node outside both PVs' zones names both",
			objs: objects(na, nb, st.MakeNode("nc").Zone("c").Obj(), claim, st.MakePVC("logs").BoundTo("pv2").Obj(),
				st.MakePV("pv1").BoundTo("default", "data").NodeAffinityIn(zoneKey, "a").Obj(),
				st.MakePV("pv2").BoundTo("default", "logs").NodeAffinityIn(zoneKey, "a", "b").Obj()),
			pod: st.MakePod("p").PVC("data").PVC("logs").Obj(),
			want: map[string]outcome{
				"na": fits,
				"nb": conflict,
				"nc": unresolvable(topology.ErrReasonNodeConflict + " (pv1, pv2)"),
			},
		},
	}
	runEvalCases(t, tests)
}

func TestVolumeZone(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	claim := st.MakePVC("data").BoundTo("pv1").Obj()
	pv := func() *st.PVWrapper { return st.MakePV("pv1").BoundTo("default", "data") }
	na, nb := st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj()
	conflict := unresolvable(topology.ErrReasonVolumeZoneConflict + " (pv1)")

	tests := []evalCase{
		{
			name: "GA zone label",
			objs: objects(na, nb, claim, pv().Label(zoneKey, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": conflict},
		},
		{
			name: "multi-zone value joined by __",
			objs: objects(na, nb, st.MakeNode("nc").Zone("c").Obj(), claim, pv().Label(zoneKey, "a__c").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": conflict, "nc": fits},
		},
		{
			name: "beta label on the PV matches the GA label on the node",
			objs: objects(na, nb, claim, pv().Label(corev1.LabelFailureDomainBetaZone, "b").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": conflict, "nb": fits},
		},
		{
			name: "beta labels on both",
			objs: objects(st.MakeNode("n1").Label(corev1.LabelFailureDomainBetaZone, "a").Obj(), claim,
				pv().Label(corev1.LabelFailureDomainBetaZone, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "node without zone or region labels passes",
			objs: objects(st.MakeNode("plain").Obj(), na, claim, pv().Label(zoneKey, "b").Obj()),
			pod:  pod,
			want: map[string]outcome{"plain": fits, "na": conflict},
		},
		{
			name: "region must match too",
			objs: objects(
				st.MakeNode("r1").Zone("a").Label(corev1.LabelTopologyRegion, "r1").Obj(),
				st.MakeNode("r2").Zone("a").Label(corev1.LabelTopologyRegion, "r2").Obj(),
				claim, pv().Label(zoneKey, "a").Label(corev1.LabelTopologyRegion, "r1").Obj()),
			pod:  pod,
			want: map[string]outcome{"r1": fits, "r2": conflict},
		},
		{
			name: "PV with node affinity reports only the affinity failure",
			objs: objects(na, nb, claim, pv().Label(zoneKey, "a").NodeAffinityIn(zoneKey, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"na": fits, "nb": unresolvable(topology.ErrReasonNodeConflict + " (pv1)")},
		},
		{
			name: "node with a region but no zone fails a zonal PV",
			objs: objects(st.MakeNode("r").Label(corev1.LabelTopologyRegion, "r1").Obj(), claim, pv().Label(zoneKey, "a").Obj()),
			pod:  pod,
			want: map[string]outcome{"r": conflict},
		},
	}
	runEvalCases(t, tests)
}
