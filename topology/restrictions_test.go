package topology_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

func TestReadWriteOncePod(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	n1, n2 := st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj()
	rwop := st.MakePVC("data").AccessModes(corev1.ReadWriteOncePod).BoundTo("pv1").Obj()
	pv := st.MakePV("pv1").BoundTo("default", "data").AccessModes(corev1.ReadWriteOncePod).Obj()
	conflict := resolvable(topology.ErrReasonReadWriteOncePodConflict + " (data)")

	tests := []evalCase{
		{
			name: "claim unused",
			objs: objects(n1, n2, rwop, pv),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "claim used by a running pod fails every node",
			objs: objects(n1, n2, rwop, pv, st.MakePod("holder").PVC("data").Node("n1").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": conflict, "n2": conflict},
		},
		{
			name: "claim used by a finished pod",
			objs: objects(n1, n2, rwop, pv, st.MakePod("holder").PVC("data").Node("n1").Phase(corev1.PodFailed).Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "claim used by another pending pod",
			objs: objects(n1, rwop, pv, st.MakePod("other").PVC("data").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "the pod itself does not conflict",
			objs: objects(n1, rwop, pv, st.MakePod("p").PVC("data").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "ReadWriteOnce claim used elsewhere is not a ReadWriteOncePod conflict",
			objs: objects(n1, st.MakePVC("data").BoundTo("pv1").Obj(), st.MakePV("pv1").BoundTo("default", "data").Obj(),
				st.MakePod("holder").PVC("data").Node("n1").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
	}
	runEvalCases(t, tests)
}

func TestReadWriteOnceGuard(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	n1, n2 := st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj()
	claim := st.MakePVC("data").BoundTo("pv1").Obj()
	csiPV := func() *st.PVWrapper { return st.MakePV("pv1").BoundTo("default", "data").CSI(driver, "h1") }
	csiNodes := objects(st.MakeCSINode("n1").Driver(driver).Obj(), st.MakeCSINode("n2").Driver(driver).Obj())
	conflict := unresolvable(topology.ErrReasonReadWriteOnceConflict + " (data)")
	off := topology.DefaultOptions()
	off.ReadWriteOnceGuard = false
	deleting := st.MakeAttachment("va", driver, "pv1", "n1")
	deleting.DeletionTimestamp = &metav1.Time{}

	tests := []evalCase{
		{
			name: "attached to another node",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakeAttachment("va", driver, "pv1", "n1")), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": conflict},
		},
		{
			name: "used by a running pod on another node",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakePod("old").PVC("data").Node("n2").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": conflict, "n2": fits},
		},
		{
			name: "ReadWriteMany volume may attach anywhere",
			objs: append(objects(n1, n2, claim, csiPV().AccessModes(corev1.ReadWriteMany).Obj(), st.MakeAttachment("va", driver, "pv1", "n1")), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "rule switched off",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakeAttachment("va", driver, "pv1", "n1")), csiNodes...),
			pod:  pod,
			opts: &off,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "attachment being deleted does not pin",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), deleting), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "attachment to a node that is gone does not pin",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakeAttachment("va", driver, "pv1", "gone")), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "driver that needs no attach is not pinned by pods",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakeCSIDriver(driver).AttachRequired(false).Obj(),
				st.MakePod("old").PVC("data").Node("n2").Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "ReadWriteOncePod claim in use reports only the ReadWriteOncePod conflict",
			objs: append(objects(n1, n2, st.MakePVC("data").AccessModes(corev1.ReadWriteOncePod).BoundTo("pv1").Obj(),
				csiPV().AccessModes(corev1.ReadWriteOncePod).Obj(), st.MakePod("old").PVC("data").Node("n2").Obj()), csiNodes...),
			pod: pod,
			want: map[string]outcome{
				"n1": resolvable(topology.ErrReasonReadWriteOncePodConflict + " (data)"),
				"n2": resolvable(topology.ErrReasonReadWriteOncePodConflict + " (data)"),
			},
		},
		{
			name: "finished pod does not pin",
			objs: append(objects(n1, n2, claim, csiPV().Obj(), st.MakePod("old").PVC("data").Node("n2").Phase(corev1.PodSucceeded).Obj()), csiNodes...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
	}
	runEvalCases(t, tests)
}
