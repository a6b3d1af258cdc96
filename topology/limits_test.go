package topology_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// boundCSI returns a claim bound to a CSI PV with handle "h-<name>".
func boundCSI(name, drv string) []runtime.Object {
	return objects(
		st.MakePVC(name).BoundTo("pv-"+name).Obj(),
		st.MakePV("pv-"+name).BoundTo("default", name).CSI(drv, "h-"+name).Obj(),
	)
}

func TestAttachLimits(t *testing.T) {
	n1 := st.MakeNode("n1").Obj()
	limit2 := st.MakeCSINode("n1").LimitedDriver(driver, 2).Obj()
	pod := st.MakePod("p").PVC("new").Obj()
	exceeded := resolvable(topology.ErrReasonMaxVolumeCountExceeded + " (" + driver + ")")
	with := func(groups ...[]runtime.Object) []runtime.Object {
		var out []runtime.Object
		for _, g := range groups {
			out = append(out, g...)
		}
		return out
	}

	tests := []evalCase{
		{
			name: "under the limit",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj()), boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "limit reached by pods on the node",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakePod("b").PVC("b").Node("n1").Obj()),
				boundCSI("a", driver), boundCSI("b", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": exceeded},
		},
		{
			name: "volume shared by two pods counts once",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakePod("b").PVC("a").Node("n1").Obj()),
				boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "volume already on the node is not counted again",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakePod("b").PVC("new").Node("n1").Obj()),
				boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "VolumeAttachment of a deleted pod holds a slot",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakeAttachment("va-b", driver, "pv-b", "n1")),
				boundCSI("a", driver), boundCSI("b", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": exceeded},
		},
		{
			name: "VolumeAttachment of a volume a pod uses counts once",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakeAttachment("va-a", driver, "pv-a", "n1")),
				boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "terminated pods hold no slot",
			objs: with(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakePod("b").PVC("b").Node("n1").Phase(corev1.PodSucceeded).Obj()),
				boundCSI("a", driver), boundCSI("b", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "other drivers do not count",
			objs: with(objects(n1, st.MakeCSINode("n1").LimitedDriver(driver, 1).Driver("other.example.com").Obj(), st.MakePod("a").PVC("a").Node("n1").Obj()),
				boundCSI("a", "other.example.com"), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "driver without a limit is unlimited",
			objs: with(objects(n1, st.MakeCSINode("n1").Driver(driver).Obj(), st.MakePod("a").PVC("a").Node("n1").Obj()),
				boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "node allocatable limit applies without a CSINode count",
			objs: with(objects(st.MakeNode("n1").AttachLimit(driver, 1).Obj(), st.MakeCSINode("n1").Driver(driver).Obj(), st.MakePod("a").PVC("a").Node("n1").Obj()),
				boundCSI("a", driver), boundCSI("new", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": exceeded},
		},
		{
			name: "unbound claim counts by its class's provisioner",
			objs: with(objects(n1, st.MakeCSINode("n1").LimitedDriver(driver, 1).Obj(), st.MakePod("a").PVC("a").Node("n1").Obj(),
				st.MakeStorageClass("wffc", driver).Obj(), st.MakePVC("new").Class("wffc").Obj()), boundCSI("a", driver)),
			pod:  pod,
			want: map[string]outcome{"n1": exceeded},
		},
		{
			name: "pod adding two volumes to one free slot",
			objs: with(objects(n1, st.MakeCSINode("n1").LimitedDriver(driver, 1).Obj()), boundCSI("new", driver), boundCSI("new2", driver)),
			pod:  st.MakePod("p").PVC("new").PVC("new2").Obj(),
			want: map[string]outcome{"n1": exceeded},
		},
	}
	runEvalCases(t, tests)
}

func TestAttachLimitsSpreadAcrossNodes(t *testing.T) {
	// Three nodes with a limit of 1, one already full: the pod fits the two
	// others and scores them by headroom.
	objs := objects(
		st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj(), st.MakeNode("n3").Obj(),
		st.MakeCSINode("n1").LimitedDriver(driver, 1).Obj(),
		st.MakeCSINode("n2").LimitedDriver(driver, 1).Obj(),
		st.MakeCSINode("n3").LimitedDriver(driver, 4).Obj(),
		st.MakePod("a").PVC("a").Node("n1").Obj(),
	)
	objs = append(objs, boundCSI("a", driver)...)
	objs = append(objs, boundCSI("new", driver)...)
	got := map[string]string{}
	for _, r := range evaluate(t, objs, st.MakePod("p").PVC("new").Obj(), nil) {
		got[r.Node] = fmt.Sprintf("%s score=%d", r.Reasons.String(), r.Score)
	}
	want := map[string]string{
		"n1": topology.ErrReasonMaxVolumeCountExceeded + " (" + driver + ") score=0",
		"n2": " score=0",
		"n3": " score=7",
	}
	for node, w := range want {
		if got[node] != w {
			t.Errorf("node %s: got %q, want %q", node, got[node], w)
		}
	}
}

// TestAttachLimitsAsKubeScheduler covers the count of kube-scheduler's
// NodeVolumeLimits, which runs next to volplace in kube-scheduler's default
// profile: a new volume that only a VolumeAttachment holds on the node
// counts both as attached and as new. With InTreeVolumeLimits off (a
// profile where volplace is the only volume filter) it counts once.
func TestAttachLimitsAsKubeScheduler(t *testing.T) {
	n1 := st.MakeNode("n1").Obj()
	limit2 := st.MakeCSINode("n1").LimitedDriver(driver, 2).Obj()
	pod := st.MakePod("p").PVC("new").Obj()
	exceeded := resolvable(topology.ErrReasonMaxVolumeCountExceeded + " (" + driver + ")")
	physical := topology.DefaultOptions()
	physical.InTreeVolumeLimits = false
	attachedOnly := append(objects(n1, limit2, st.MakePod("a").PVC("a").Node("n1").Obj(), st.MakeAttachment("va-new", driver, "pv-new", "n1")),
		append(boundCSI("a", driver), boundCSI("new", driver)...)...)
	usedByPod := append(objects(n1, limit2, st.MakePod("b").PVC("new").Node("n1").Obj(), st.MakeAttachment("va-new", driver, "pv-new", "n1")),
		boundCSI("new", driver)...)
	runEvalCases(t, []evalCase{
		{name: "attached with no pod using it: kube-scheduler counts it twice", objs: attachedOnly, pod: pod, want: map[string]outcome{"n1": exceeded}},
		{name: "attached with no pod using it: once where volplace alone filters", objs: attachedOnly, pod: pod, opts: &physical, want: map[string]outcome{"n1": fits}},
		{name: "attached and used by a pod on the node: once", objs: usedByPod, pod: pod, want: map[string]outcome{"n1": fits}},
	})

	snap, err := store.NewStatic(attachedOnly...)
	if err != nil {
		t.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithDetails()
	got := ev.Evaluate(ev.Prepare(pod), n1).Reasons.Primary().Detail
	want := []string{"driver " + driver + ": 2 attached + 1 new > limit 2 as kube-scheduler's NodeVolumeLimits counts: 1 of the pod's volumes is attached to the node with no pod using it, and it counts it both as attached and as new (on the node they take 2 slots, within the limit)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("detail (-want,+got):\n%s", diff)
	}
}

// TestAttachLimitsMigratedVolumes counts volumes of in-tree plugins that
// CSI migration attaches through a CSI driver, as NodeVolumeLimits does:
// inline volumes, PVs with an in-tree source, and claims of a class with an
// in-tree provisioner.
func TestAttachLimitsMigratedVolumes(t *testing.T) {
	const ebs = "ebs.csi.aws.com"
	n1, n2 := st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj()
	limit1 := func(node string) *storagev1.CSINode { return st.MakeCSINode(node).LimitedDriver(ebs, 1).Obj() }
	inline := func(pod *corev1.Pod, volumeID string) *corev1.Pod {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volumeID, VolumeSource: corev1.VolumeSource{
			AWSElasticBlockStore: &corev1.AWSElasticBlockStoreVolumeSource{VolumeID: volumeID}}})
		return pod
	}
	inTreePV := func(claim string) []runtime.Object {
		pv := st.MakePV("pv-"+claim).BoundTo("default", claim).Obj()
		pv.Spec.AWSElasticBlockStore = &corev1.AWSElasticBlockStoreVolumeSource{VolumeID: "vol-" + claim}
		return objects(st.MakePVC(claim).BoundTo("pv-"+claim).Obj(), pv)
	}
	exceeded := resolvable(topology.ErrReasonMaxVolumeCountExceeded + " (" + ebs + ")")
	runEvalCases(t, []evalCase{
		{
			name: "inline volume of a pod on the node takes the slot of an inline volume",
			objs: objects(n1, n2, limit1("n1"), limit1("n2"), inline(st.MakePod("a").Node("n1").Obj(), "vol-a")),
			pod:  inline(st.MakePod("p").Obj(), "vol-p"),
			want: map[string]outcome{"n1": exceeded, "n2": fits},
		},
		{
			name: "the same inline volume already on the node counts once",
			objs: objects(n1, limit1("n1"), inline(st.MakePod("a").Node("n1").Obj(), "vol-p")),
			pod:  inline(st.MakePod("p").Obj(), "vol-p"),
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "PV of the in-tree plugin",
			objs: append(objects(n1, n2, limit1("n1"), limit1("n2"), inline(st.MakePod("a").Node("n1").Obj(), "vol-a")), inTreePV("data")...),
			pod:  st.MakePod("p").PVC("data").Obj(),
			want: map[string]outcome{"n1": exceeded, "n2": fits},
		},
		{
			name: "claim of a class with the in-tree provisioner",
			objs: objects(n1, n2, limit1("n1"), limit1("n2"), inline(st.MakePod("a").Node("n1").Obj(), "vol-a"),
				st.MakeStorageClass("gp2", "kubernetes.io/aws-ebs").Obj(), st.MakePVC("data").Class("gp2").Obj()),
			pod:  st.MakePod("p").PVC("data").Obj(),
			want: map[string]outcome{"n1": exceeded, "n2": fits},
		},
	})
}
