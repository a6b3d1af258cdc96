package config

import (
	"testing"

	rulesconfig "github.com/volplace/volplace/topology/config"
)

// FuzzParse feeds any bytes to the configuration loader: no panic, and a
// configuration that parses yields options within their documented ranges.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: config.volplace.io/v1alpha1\nkind: VolplaceConfiguration\nscoring:\n  weights: {locality: 3}\n  capacityShape: [{utilization: 0, score: 10}, {utilization: 100, score: 0}]\n"))
	f.Add([]byte("apiVersion: config.volplace.io/v1alpha1\nkind: VolplaceConfiguration\nwebhook:\n  accessModes: [{provisioner: x, filesystem: [ReadWriteOnce]}]\n  bindingModes: {x: Immediate}\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		o := c.TopologyOptions()
		for _, w := range []int64{o.Weights.Locality, o.Weights.Capacity, o.Weights.AttachHeadroom} {
			if w < 0 || w > rulesconfig.MaxWeight {
				t.Fatalf("weight %d out of range", w)
			}
		}
		for i, p := range o.CapacityShape {
			if p.Score < 0 || p.Score > 10 || p.Utilization < 0 || p.Utilization > 100 || (i > 0 && p.Utilization <= o.CapacityShape[i-1].Utilization) {
				t.Fatalf("shape point %d out of range: %+v", i, p)
			}
		}
		_ = c.WebhookOptions()
	})
}
