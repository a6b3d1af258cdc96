// Package config reads volplace's versioned configuration file: rule
// switches, score weights and (later) webhook policies.
package config

import "github.com/volplace/volplace/topology"

// Version and kind of the configuration file.
const (
	APIVersion = "config.volplace.io/v1alpha1"
	Kind       = "VolplaceConfiguration"
)

// Configuration is the file passed with `volplace serve --config`.
type Configuration struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Rules      Rules   `json:"rules"`
	Scoring    Scoring `json:"scoring"`
}

// Rules switch the placement rules that go beyond kube-scheduler.
type Rules struct {
	// RequireCSIDriver rejects nodes whose CSINode lacks a CSI driver the
	// pod's volumes need. Default true.
	RequireCSIDriver *bool `json:"requireCSIDriver,omitempty"`
	// ReadWriteOnceGuard pins a pod to the node where its single-node volume
	// is attached or in use. Default true.
	ReadWriteOnceGuard *bool `json:"readWriteOnceGuard,omitempty"`
}

// Scoring tunes the prioritize verb.
type Scoring struct {
	Weights       *Weights     `json:"weights,omitempty"`
	CapacityShape []ShapePoint `json:"capacityShape,omitempty"`
}

// Weights weigh the score components, 0..100; 0 turns one off. Default 1
// each.
type Weights struct {
	Locality       *int64 `json:"locality,omitempty"`
	Capacity       *int64 `json:"capacity,omitempty"`
	AttachHeadroom *int64 `json:"attachHeadroom,omitempty"`
}

// ShapePoint is one point of the capacity scoring function.
type ShapePoint struct {
	Utilization int64 `json:"utilization"`
	Score       int64 `json:"score"`
}

// TopologyOptions returns the evaluator options the configuration selects,
// with defaults for what it leaves unset.
func (c *Configuration) TopologyOptions() topology.Options {
	o := topology.DefaultOptions()
	set := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&o.RequireCSIDriver, c.Rules.RequireCSIDriver)
	set(&o.ReadWriteOnceGuard, c.Rules.ReadWriteOnceGuard)
	if w := c.Scoring.Weights; w != nil {
		setInt := func(dst *int64, src *int64) {
			if src != nil {
				*dst = *src
			}
		}
		setInt(&o.Weights.Locality, w.Locality)
		setInt(&o.Weights.Capacity, w.Capacity)
		setInt(&o.Weights.AttachHeadroom, w.AttachHeadroom)
	}
	if len(c.Scoring.CapacityShape) > 0 {
		o.CapacityShape = make([]topology.ShapePoint, len(c.Scoring.CapacityShape))
		for i, p := range c.Scoring.CapacityShape {
			o.CapacityShape[i] = topology.ShapePoint{Utilization: p.Utilization, Score: p.Score}
		}
	}
	return o
}
