package topology_test

import (
	"fmt"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

// Benchmark cluster, as issue 6 sets it: 5000 nodes in 10 zones, 50 000
// pods (20 000 of them with a bound zonal CSI claim), 20 000 PV/PVC pairs
// with their VolumeAttachments, CSINodes with attach limits, and a
// CSIStorageCapacity per node for a local class (the worst case: one
// segment per node) and per zone for a zonal class.
const (
	benchNodes  = 5000
	benchZones  = 10
	benchPods   = 50000
	benchClaims = 20000
	benchDriver = "pd.csi.example.com"
	localDriver = "lvm.csi.example.com"
)

func benchZone(i int) string { return fmt.Sprintf("zone-%d", i%benchZones) }
func benchNode(i int) string { return fmt.Sprintf("node-%04d", i) }

// BenchCluster returns the objects of the benchmark cluster plus the
// pending pod's claims, built once.
var BenchCluster = sync.OnceValue(func() []runtime.Object {
	objs := make([]runtime.Object, 0, 2*benchNodes+benchPods+3*benchClaims+benchNodes+100)
	objs = append(objs,
		st.MakeCSIDriver(benchDriver).Obj(),
		st.MakeCSIDriver(localDriver).StorageCapacity(true).AttachRequired(false).Obj(),
		st.MakeStorageClass("zonal", benchDriver).Obj(),
		st.MakeStorageClass("local", localDriver).Obj(),
	)
	for i := 0; i < benchNodes; i++ {
		objs = append(objs,
			st.MakeNode(benchNode(i)).Zone(benchZone(i)).Label(corev1.LabelTopologyRegion, "r1").Obj(),
			st.MakeCSINode(benchNode(i)).LimitedDriver(benchDriver, 39, corev1.LabelTopologyZone).Driver(localDriver, corev1.LabelHostname).Obj(),
			st.MakeCapacity("local-"+benchNode(i), "local").Topology(corev1.LabelHostname, benchNode(i)).Capacity(fmt.Sprintf("%dGi", 100+i%400)).Obj(),
		)
	}
	for z := 0; z < benchZones; z++ {
		objs = append(objs, st.MakeCapacity(fmt.Sprintf("zonal-%d", z), "zonal").Topology(corev1.LabelTopologyZone, benchZone(z)).Capacity("10Ti").Obj())
	}
	for i := 0; i < benchClaims; i++ {
		name := fmt.Sprintf("data-%05d", i)
		node := i % benchNodes
		objs = append(objs,
			st.MakePVC(name).Class("zonal").BoundTo("pv-"+name).Obj(),
			st.MakePV("pv-"+name).Class("zonal").BoundTo("default", name).CSI(benchDriver, "h-"+name).NodeAffinityIn(corev1.LabelTopologyZone, benchZone(node)).Obj(),
			st.MakeAttachment("va-"+name, benchDriver, "pv-"+name, benchNode(node)),
		)
	}
	for i := 0; i < benchPods; i++ {
		w := st.MakePod(fmt.Sprintf("pod-%05d", i))
		if i < benchClaims {
			w = w.PVC(fmt.Sprintf("data-%05d", i))
		}
		objs = append(objs, w.Node(benchNode(i%benchNodes)).Obj())
	}
	// The pending pod's claims: one bound in zone 3 (pinning it to 500
	// nodes), two to provision.
	objs = append(objs,
		st.MakePVC("new-bound").Class("zonal").BoundTo("pv-new-bound").Obj(),
		st.MakePV("pv-new-bound").Class("zonal").BoundTo("default", "new-bound").CSI(benchDriver, "h-new").NodeAffinityIn(corev1.LabelTopologyZone, benchZone(3)).Obj(),
		st.MakePVC("new-zonal").Class("zonal").Request("20Gi").Obj(),
		st.MakePVC("new-local").Class("local").Request("150Gi").Obj(),
	)
	return objs
})

var benchSnapshot = sync.OnceValues(func() (topology.Snapshot, error) {
	return topology.NewStaticSnapshot(BenchCluster()...)
})

// BenchmarkEvaluate measures Prepare plus Evaluate on n candidate nodes for
// a pod with 1 to 3 claims, as one filter call does.
func BenchmarkEvaluate(b *testing.B) {
	snap, err := benchSnapshot()
	if err != nil {
		b.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions())
	pods := map[string]*corev1.Pod{
		"1pvc": st.MakePod("pending").PVC("new-zonal").Obj(),
		"2pvc": st.MakePod("pending").PVC("new-zonal").PVC("new-local").Obj(),
		"3pvc": st.MakePod("pending").PVC("new-bound").PVC("new-zonal").PVC("new-local").Obj(),
	}
	for _, claims := range []string{"1pvc", "2pvc", "3pvc"} {
		for _, n := range []int{100, 500, 5000} {
			nodes := make([]*corev1.Node, n)
			for i := range nodes {
				node, _ := snap.Node(benchNode(i * (benchNodes / n)))
				nodes[i] = node
			}
			b.Run(fmt.Sprintf("%s/nodes=%d", claims, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					state := ev.Prepare(pods[claims])
					for _, node := range nodes {
						_ = ev.Evaluate(state, node)
					}
				}
			})
		}
	}
}
