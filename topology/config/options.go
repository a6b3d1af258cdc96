package config

import (
	"github.com/volplace/volplace/topology"
)

// Options returns base with what rules and scoring set: base gives the
// defaults of the binary that reads them.
func Options(base topology.Options, rules *Rules, scoring *Scoring) topology.Options {
	o := base
	set(&o.RequireCSIDriver, rules.RequireCSIDriver)
	set(&o.ReadWriteOnceGuard, rules.ReadWriteOnceGuard)
	set(&o.InTreeVolumeLimits, rules.InTreeVolumeLimits)
	if d := rules.CapacityRefresh; d != nil {
		o.CapacityRefresh = d.Duration
	}
	if w := scoring.Weights; w != nil {
		set(&o.Weights.Locality, w.Locality)
		set(&o.Weights.Capacity, w.Capacity)
		set(&o.Weights.AttachHeadroom, w.AttachHeadroom)
	}
	if len(scoring.CapacityShape) > 0 {
		o.CapacityShape = make([]topology.ShapePoint, len(scoring.CapacityShape))
		for i, p := range scoring.CapacityShape {
			o.CapacityShape[i] = topology.ShapePoint{Utilization: p.Utilization, Score: p.Score}
		}
	}
	return o
}

// set copies *src to *dst when src is set.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
