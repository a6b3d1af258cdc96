package testing

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Drivers of the large cluster: a zonal attachable driver with attach
// limits, and a local driver that reports capacity per node.
const (
	ZonalDriver = "pd.csi.example.com"
	LocalDriver = "lvm.csi.example.com"
)

// ClusterSize sizes LargeCluster.
type ClusterSize struct {
	Nodes, Zones, Pods, Claims int
}

// BenchmarkSize is the cluster of volplace's benchmarks: 5000 nodes in 10
// zones, 50 000 pods, 20 000 PV/PVC pairs.
var BenchmarkSize = ClusterSize{Nodes: 5000, Zones: 10, Pods: 50000, Claims: 20000}

// NodeName names the i-th node of LargeCluster.
func NodeName(i int) string { return fmt.Sprintf("node-%04d", i) }

// Candidates returns the indexes of n of LargeCluster's nodes spread evenly
// over the cluster and over every zone, as kube-scheduler's candidates
// would be.
func (c ClusterSize) Candidates(n int) []int {
	out := make([]int, n)
	stride := max(c.Nodes/n, 1)
	for i := range out {
		// Offset by i%stride so that a stride that is a multiple of the
		// zone count does not pick one zone only.
		out[i] = (i*stride + i%stride) % c.Nodes
	}
	return out
}

// CandidateNames returns the names of Candidates(n).
func (c ClusterSize) CandidateNames(n int) []string {
	names := make([]string, n)
	for i, node := range c.Candidates(n) {
		names[i] = NodeName(node)
	}
	return names
}

// ZoneName names the zone of the i-th node.
func (c ClusterSize) ZoneName(i int) string { return fmt.Sprintf("zone-%d", i%c.Zones) }

// LargeCluster returns a cluster for benchmarks: nodes with CSINodes (attach
// limit 39 for ZonalDriver), a CSIStorageCapacity per node for the class
// "local" and per zone for the class "zonal", Claims bound zonal CSI PVs
// each attached (VolumeAttachment) and used by one of the Pods, spread over
// the nodes, and three claims for a pending pod: "new-bound" (bound, zone
// 3), "new-zonal" and "new-local" (to provision).
func LargeCluster(c ClusterSize) []runtime.Object {
	objs := make([]runtime.Object, 0, 3*c.Nodes+c.Pods+3*c.Claims+c.Zones+10)
	objs = append(objs,
		MakeCSIDriver(ZonalDriver).Obj(),
		MakeCSIDriver(LocalDriver).StorageCapacity(true).AttachRequired(false).Obj(),
		MakeStorageClass("zonal", ZonalDriver).Obj(),
		MakeStorageClass("local", LocalDriver).Obj(),
	)
	for i := 0; i < c.Nodes; i++ {
		objs = append(objs,
			MakeNode(NodeName(i)).Zone(c.ZoneName(i)).Label(corev1.LabelTopologyRegion, "r1").Obj(),
			MakeCSINode(NodeName(i)).LimitedDriver(ZonalDriver, 39, corev1.LabelTopologyZone).Driver(LocalDriver, corev1.LabelHostname).Obj(),
			MakeCapacity("local-"+NodeName(i), "local").Topology(corev1.LabelHostname, NodeName(i)).Capacity(fmt.Sprintf("%dGi", 100+i%400)).Obj(),
		)
	}
	for z := 0; z < c.Zones; z++ {
		objs = append(objs, MakeCapacity(fmt.Sprintf("zonal-%d", z), "zonal").Topology(corev1.LabelTopologyZone, c.ZoneName(z)).Capacity("10Ti").Obj())
	}
	for i := 0; i < c.Claims; i++ {
		name := fmt.Sprintf("data-%05d", i)
		node := i % c.Nodes
		objs = append(objs,
			MakePVC(name).Class("zonal").BoundTo("pv-"+name).Obj(),
			MakePV("pv-"+name).Class("zonal").BoundTo(DefaultNamespace, name).CSI(ZonalDriver, "h-"+name).NodeAffinityIn(corev1.LabelTopologyZone, c.ZoneName(node)).Obj(),
			MakeAttachment("va-"+name, ZonalDriver, "pv-"+name, NodeName(node)),
		)
	}
	for i := 0; i < c.Pods; i++ {
		w := MakePod(fmt.Sprintf("pod-%05d", i))
		if i < c.Claims {
			w = w.PVC(fmt.Sprintf("data-%05d", i))
		}
		objs = append(objs, w.Node(NodeName(i%c.Nodes)).Obj())
	}
	objs = append(objs,
		MakePVC("new-bound").Class("zonal").BoundTo("pv-new-bound").Obj(),
		MakePV("pv-new-bound").Class("zonal").BoundTo(DefaultNamespace, "new-bound").CSI(ZonalDriver, "h-new").NodeAffinityIn(corev1.LabelTopologyZone, c.ZoneName(3)).Obj(),
		MakePVC("new-zonal").Class("zonal").Request("20Gi").Obj(),
		MakePVC("new-local").Class("local").Request("150Gi").Obj(),
	)
	return objs
}

// PendingPod returns the pending pod of LargeCluster with 1 to 3 claims:
// new-zonal, then new-local, then new-bound.
func PendingPod(claims int) *corev1.Pod {
	w := MakePod("pending")
	for _, c := range []string{"new-zonal", "new-local", "new-bound"}[:claims] {
		w = w.PVC(c)
	}
	return w.Obj()
}
