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
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

var benchHandler = sync.OnceValues(func() (http.Handler, error) {
	snap, err := store.NewStatic(st.LargeCluster(st.BenchmarkSize)...)
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

// evictBuf is larger than the CPU caches of the benchmark machine.
var evictBuf = make([]byte, 64<<20)

// evictCaches writes every cache line of evictBuf, pushing the cache's
// objects out of the CPU caches as the requests of other pods, the
// informers and the scheduler itself do between two requests of a
// real scheduling cycle.
func evictCaches() {
	for i := 0; i < len(evictBuf); i += 64 {
		evictBuf[i]++
	}
}

// BenchmarkHandlerCold is BenchmarkHandler's filter in NodeNames mode with
// the CPU caches flushed before each request: what a request costs when
// requests arrive milliseconds apart, as they do from kube-scheduler.
func BenchmarkHandlerCold(b *testing.B) {
	h, err := benchHandler()
	if err != nil {
		b.Fatal(err)
	}
	for _, verb := range []string{FilterPath, PrioritizePath} {
		for _, n := range []int{500, 5000} {
			names := st.BenchmarkSize.CandidateNames(n)
			body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: st.PendingPod(3), NodeNames: &names})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/pvcs=3/nodes=%d", verb[1:], n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					evictCaches()
					rec := httptest.NewRecorder()
					req := httptest.NewRequest(http.MethodPost, verb, bytes.NewReader(body))
					b.StartTimer()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
					}
				}
			})
		}
	}
}
