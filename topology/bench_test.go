package topology_test

import (
	"fmt"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

var benchCluster = sync.OnceValues(func() (topology.Cluster, error) {
	return store.NewStatic(st.LargeCluster(st.BenchmarkSize)...)
})

// BenchmarkEvaluate measures one filter's work without HTTP: Prepare, then
// Evaluate on n candidate nodes in one Scratch, failing fast as the
// extender's filter does, for a pod with 1 to 3 claims, in the
// benchmark cluster (5000 nodes, 50 000 pods, 20 000 PV/PVC pairs).
func BenchmarkEvaluate(b *testing.B) {
	snap, err := benchCluster()
	if err != nil {
		b.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).FailFast()
	for claims := 1; claims <= 3; claims++ {
		pod := st.PendingPod(claims)
		for _, n := range []int{100, 500, 5000} {
			nodes := make([]*corev1.Node, n)
			for i, name := range st.BenchmarkSize.CandidateNames(n) {
				nodes[i], _ = snap.Node(name)
			}
			b.Run(fmt.Sprintf("pvcs=%d/nodes=%d", claims, n), func(b *testing.B) {
				b.ReportAllocs()
				var sc topology.Scratch
				for b.Loop() {
					state := ev.Prepare(pod)
					for _, node := range nodes {
						_ = ev.EvaluateWith(state, node, &sc)
					}
				}
			})
		}
	}
}
