package topology

import (
	"math"
)

// ScoreComponent is one part of a node's score.
type ScoreComponent struct {
	Name   string
	Score  int64 // 0..MaxScore
	Weight int64
	Detail string
}

// Score component names.
const (
	ComponentLocality       = "locality"
	ComponentCapacity       = "capacity"
	ComponentAttachHeadroom = "attach-headroom"
)

// score combines the components that apply to the pod on a fitting node into
// a weighted mean rounded to 0..MaxScore. docs/scoring.md explains it.
func (e *Evaluator) score(s *PodState, n *nodeState) (int64, []ScoreComponent) {
	parts := n.partsBuf[:0]
	w := e.opts.Weights
	if w.Locality > 0 {
		if c, ok := e.localityScore(s, n); ok {
			c.Weight = w.Locality
			parts = append(parts, c)
		}
	}
	if c, ok := e.capacityScore(n); ok && w.Capacity > 0 {
		c.Weight = w.Capacity
		parts = append(parts, c)
	}
	if w.AttachHeadroom > 0 {
		if c, ok := e.attachHeadroomScore(n); ok {
			c.Weight = w.AttachHeadroom
			parts = append(parts, c)
		}
	}
	var sum, weights int64
	for _, p := range parts {
		sum += p.Score * p.Weight
		weights += p.Weight
	}
	if weights == 0 {
		return 0, parts
	}
	return int64(math.Round(float64(sum) / float64(weights))), parts
}

// shapeScore interpolates the shape at a utilization.
func shapeScore(shape []ShapePoint, utilization int64) int64 {
	if len(shape) == 0 {
		return 0
	}
	if utilization <= shape[0].Utilization {
		return shape[0].Score
	}
	for i := 1; i < len(shape); i++ {
		a, b := shape[i-1], shape[i]
		if utilization <= b.Utilization {
			return a.Score + (b.Score-a.Score)*(utilization-a.Utilization)/(b.Utilization-a.Utilization)
		}
	}
	return shape[len(shape)-1].Score
}
