package simulate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// FuzzLoad feeds any bytes to the loader and, when they load, to the
// simulator: no panic, and either an error naming the file or objects every
// pending pod can be evaluated against. A call takes about a millisecond,
// so minimizing a new input of a few kilobytes takes thousands of calls:
// `make fuzz` caps minimization by calls (FUZZMINIMIZE), and
// testdata/fuzz/FuzzLoad/slow-minimization is the input whose minimization
// stalled the fuzzer.
func FuzzLoad(f *testing.F) {
	for _, example := range []string{"capacity"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "examples", example, "cluster.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: v, ephemeral: {}}]}}]"))
	f.Add([]byte("---\nnull\n---\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := NewLoader(nil).Load("f.yaml", data)
		if err != nil {
			if len(err.Error()) < len("f.yaml") || err.Error()[:len("f.yaml")] != "f.yaml" {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		cluster, err := ExpandWorkloads(objs, 3, time.Time{})
		if err != nil {
			cluster, _ = SplitWorkloads(objs)
		}
		snap, err := store.NewStatic(cluster...)
		if err != nil {
			t.Fatalf("loaded objects the snapshot refuses: %v", err)
		}
		pods, err := PendingPods(snap, "", "")
		if err != nil {
			t.Fatal(err)
		}
		ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithDetails()
		for _, pod := range pods {
			_ = Evaluate(ev, pod).Summary
		}
		// The planner builds a snapshot per pending pod: small inputs only.
		if len(pods) > 16 {
			return
		}
		if _, err := Plan(cluster, topology.DefaultOptions(), time.Time{}, nil); err != nil {
			t.Fatalf("planning objects the snapshot accepts: %v", err)
		}
	})
}
