package topology

import (
	"fmt"
	"math"
	"slices"
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
	// Locality applies when some bound volume is in use somewhere: else
	// every node would score the same zero.
	if w.Locality > 0 && slices.ContainsFunc(s.bound, func(b *boundClaim) bool { return len(b.inUseOn) > 0 }) {
		local := 0
		for _, b := range s.bound {
			if b.inUseOn[n.node.name] {
				local++
			}
		}
		parts = append(parts, ScoreComponent{
			Name: ComponentLocality, Weight: w.Locality,
			Score: int64(MaxScore * local / len(s.bound)),
		})
		if e.details {
			parts[len(parts)-1].Detail = fmt.Sprintf("%d/%d bound volume(s) already on the node", local, len(s.bound))
		}
	}
	if c, ok := e.capacityScore(n); ok && w.Capacity > 0 {
		c.Weight = w.Capacity
		parts = append(parts, c)
	}
	if w.AttachHeadroom > 0 && len(n.attach) > 0 {
		c := ScoreComponent{Name: ComponentAttachHeadroom, Weight: w.AttachHeadroom, Score: MaxScore}
		for _, a := range n.attach {
			if a.limit <= 0 {
				continue
			}
			free := max(a.limit-a.used-a.added, 0)
			if sc := MaxScore * free / a.limit; sc <= c.Score {
				c.Score = sc
				if e.details {
					c.Detail = fmt.Sprintf("driver %s: %d of %d slot(s) free after placement", a.driver, free, a.limit)
				}
			}
		}
		parts = append(parts, c)
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

// capacityScore scores the free capacity of the segments chosen for the
// claims to provision, per class, averaged over classes.
func (e *Evaluator) capacityScore(n *nodeState) (ScoreComponent, bool) {
	type classUse struct {
		name            string
		requested, free int64
	}
	// A pod has few classes: a linear scan of a stack array beats a map.
	var buf [4]classUse
	use := buf[:0]
	for _, p := range n.provisioned {
		if p.segment == nil {
			continue
		}
		name := p.claim.class.Name
		i := slices.IndexFunc(use, func(u classUse) bool { return u.name == name })
		if i < 0 {
			use = append(use, classUse{name: name, free: p.free})
			i = len(use) - 1
		}
		use[i].requested += p.claim.request
		use[i].free = min(use[i].free, p.free)
	}
	if len(use) == 0 {
		return ScoreComponent{}, false
	}
	var total int64
	detail := ""
	for _, u := range use {
		utilization := int64(100)
		if u.free > 0 && u.requested <= u.free {
			utilization = int64(math.Round(float64(u.requested) * 100 / float64(u.free)))
		}
		total += shapeScore(e.opts.CapacityShape, utilization)
		if !e.details {
			continue
		}
		if detail != "" {
			detail += "; "
		}
		detail += fmt.Sprintf("class %s: requested %s of %s free (%d%% of it)", u.name, formatBytes(u.requested), formatBytes(u.free), utilization)
	}
	return ScoreComponent{
		Name:   ComponentCapacity,
		Score:  int64(math.Round(float64(total) / float64(len(use)))),
		Detail: detail,
	}, true
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
