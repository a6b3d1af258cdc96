package extender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

var benchHandler = sync.OnceValues(func() (http.Handler, error) {
	snap, err := topology.NewStaticSnapshot(st.LargeCluster(st.BenchmarkSize)...)
	if err != nil {
		return nil, err
	}
	return NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()), Options{MaxBodyBytes: DefaultMaxBodyBytes})
})

// BenchmarkHandler measures filter and prioritize through the HTTP handler
// (decoding, evaluation, encoding) for a pod with 1 to 3 claims on 100, 500
// and 5000 candidate nodes, sent as NodeNames (nodeCacheCapable) or as full
// Nodes.
func BenchmarkHandler(b *testing.B) {
	h, err := benchHandler()
	if err != nil {
		b.Fatal(err)
	}
	for _, verb := range []string{FilterPath, PrioritizePath} {
		for _, mode := range []string{"names", "nodes"} {
			for claims := 1; claims <= 3; claims++ {
				for _, n := range []int{100, 500, 5000} {
					args := extenderv1.ExtenderArgs{Pod: st.PendingPod(claims)}
					names := st.BenchmarkSize.CandidateNames(n)
					if mode == "names" {
						args.NodeNames = &names
					} else {
						list := &corev1.NodeList{}
						for _, i := range st.BenchmarkSize.Candidates(n) {
							list.Items = append(list.Items, *st.MakeNode(st.NodeName(i)).Zone(st.BenchmarkSize.ZoneName(i)).Obj())
						}
						args.Nodes = list
					}
					body, err := json.Marshal(args)
					if err != nil {
						b.Fatal(err)
					}
					b.Run(fmt.Sprintf("%s/%s/pvcs=%d/nodes=%d", verb[1:], mode, claims, n), func(b *testing.B) {
						b.ReportAllocs()
						b.SetBytes(int64(len(body)))
						for b.Loop() {
							rec := httptest.NewRecorder()
							h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, verb, bytes.NewReader(body)))
							if rec.Code != http.StatusOK {
								b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
							}
						}
					})
				}
			}
		}
	}
}
