package plugin

import (
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	rulesconfig "github.com/volplace/volplace/topology/config"
)

// FuzzDecodeArgs feeds any bytes to the plugin's argument decoder, as
// kube-scheduler hands them over: no panic, and arguments that decode give
// options within their documented ranges.
func FuzzDecodeArgs(f *testing.F) {
	f.Add([]byte(`{"rules":{"inTreeVolumeLimits":true,"capacityRefresh":"5m"},"scoring":{"weights":{"capacity":3}}}`))
	f.Add([]byte(`{"scoring":{"capacityShape":[{"utilization":0,"score":10},{"utilization":100,"score":0}]}}`))
	f.Add([]byte("rules:\n  requireCSIDriver: false\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := decodeArgs(&k8sruntime.Unknown{Raw: data, ContentType: k8sruntime.ContentTypeJSON})
		if err != nil {
			return
		}
		if o.CapacityRefresh < 0 {
			t.Fatalf("negative capacityRefresh %v", o.CapacityRefresh)
		}
		for _, w := range []int64{o.Weights.Locality, o.Weights.Capacity, o.Weights.AttachHeadroom} {
			if w < 0 || w > rulesconfig.MaxWeight {
				t.Fatalf("weight %d out of range", w)
			}
		}
		for i, p := range o.CapacityShape {
			if p.Score < 0 || p.Score > topology.MaxScore || p.Utilization < 0 || p.Utilization > 100 || (i > 0 && p.Utilization <= o.CapacityShape[i-1].Utilization) {
				t.Fatalf("shape point %d out of range: %+v", i, p)
			}
		}
	})
}
