package topology

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// formatBytes prints a byte count in binary units.
func formatBytes(b int64) string {
	return resource.NewQuantity(b, resource.BinarySI).String()
}

// chooseSegment picks the segment a claim to provision on the node goes to:
// of the reachable segments whose maximumVolumeSize admits the claim and
// whose free capacity holds it together with what other placements took and
// this pod's claims placed in the same segment before it, the one with the
// most left. It returns the segment and its free capacity for this pod
// (-1 when it reports none), or records why none fits.
func (e *Evaluator) chooseSegment(s *PodState, d *delayedClaim, n *nodeState) (*segment, int64, bool) {
	var best *segment
	bestFree, bestLeft := int64(-1), int64(-1)
	segments := d.capacities.reachable(n.node, n.segmentsBuf[:0])
	for _, seg := range segments {
		if seg.limit() < 0 || (seg.maxSize >= 0 && d.request > seg.maxSize) {
			continue
		}
		free, left := int64(-1), int64(-1)
		if seg.free >= 0 {
			free = e.segmentFree(s, seg, d.class.Name)
			left = free - podUse(n, seg)
			if d.request > left {
				continue
			}
		}
		if best == nil || left > bestLeft || (bestLeft < 0 && left >= 0) {
			best, bestFree, bestLeft = seg, free, left
		}
	}
	if best != nil {
		return best, bestFree, true
	}
	if len(segments) == 0 {
		n.fail(CodeNotEnoughSpace, ErrReasonNotEnoughSpace, d.name, true, func() string {
			return fmt.Sprintf("claim %s: requested %s, no CSIStorageCapacity of class %s reachable from the node", d.name, formatBytes(d.request), d.class.Name)
		})
		return nil, 0, false
	}
	e.explainNoSegment(s, d, n)
	return nil, 0, false
}

// segmentFree is the segment's reported free capacity less what other
// placements took and pods being scheduled hold against the class.
func (e *Evaluator) segmentFree(s *PodState, seg *segment, class string) int64 {
	free := seg.free
	if len(seg.taken) > 0 {
		taken, _ := seg.takenBy(s.now, e.opts.CapacityRefresh, s)
		free -= taken
	}
	if len(s.held) > 0 {
		free -= s.held[class]
	}
	return free
}

// podUse is what the pod's claims already placed in the segment take.
func podUse(n *nodeState, seg *segment) int64 {
	var use int64
	for _, p := range n.provisioned {
		if p.segment == seg {
			use += p.claim.request
		}
	}
	return use
}

// explainNoSegment records why no reachable segment holds the claim: a
// volume larger than any segment allows, or the sum of the pod's claims and
// of other placements beyond the free capacity of the segment that came
// closest. The reason names every claim of the pod that the segment would
// have held.
func (e *Evaluator) explainNoSegment(s *PodState, d *delayedClaim, n *nodeState) {
	largest := int64(-1) // the largest maximumVolumeSize
	var closest *segment // of the segments that admit the volume, the one with the most left
	closestLeft := int64(0)
	for _, seg := range d.capacities.reachable(n.node, n.segmentsBuf[:0]) {
		largest = max(largest, seg.maxSize)
		if seg.free < 0 || (seg.maxSize >= 0 && d.request > seg.maxSize) {
			continue
		}
		if left := e.segmentFree(s, seg, d.class.Name) - podUse(n, seg); closest == nil || left > closestLeft {
			closest, closestLeft = seg, left
		}
	}
	if closest == nil {
		n.fail(CodeNotEnoughSpace, ErrReasonNotEnoughSpace, d.name, true, func() string {
			if largest < 0 {
				return fmt.Sprintf("claim %s: requested %s, the CSIStorageCapacity of class %s reachable from the node reports neither capacity nor maximumVolumeSize", d.name, formatBytes(d.request), d.class.Name)
			}
			return fmt.Sprintf("claim %s: requested %s, larger than the maximumVolumeSize %s of class %s on the node", d.name, formatBytes(d.request), formatBytes(largest), d.class.Name)
		})
		return
	}
	// The pod's claims placed in the segment before this one share the
	// reason: together they do not fit.
	for _, p := range n.provisioned {
		if p.segment == closest {
			n.fail(CodeNotEnoughSpace, ErrReasonNotEnoughSpace, p.claim.name, true, nil)
		}
	}
	n.fail(CodeNotEnoughSpace, ErrReasonNotEnoughSpace, d.name, true, func() string {
		claims, sum := []string{}, d.request
		for _, p := range n.provisioned {
			if p.segment == closest {
				claims = append(claims, p.claim.name)
				sum += p.claim.request
			}
		}
		return e.capacityDetail(s, closest, append(claims, d.name), sum)
	})
}

// capacityDetail explains a segment that cannot hold the pod's claims:
// "claims a, b: requested 220Gi of 120Gi free in CSIStorageCapacity ns/name
// (150Gi reported, 30Gi taken by 1 claim placed since)".
func (e *Evaluator) capacityDetail(s *PodState, seg *segment, claims []string, sum int64) string {
	taken, count := seg.takenBy(s.now, e.opts.CapacityRefresh, s)
	held := s.held[seg.capacity.StorageClassName]
	free := seg.free - taken - held
	noun := "claim"
	if len(claims) > 1 {
		noun = "claims"
	}
	detail := fmt.Sprintf("%s %s: requested %s of %s free in CSIStorageCapacity %s", noun, strings.Join(claims, ", "), formatBytes(sum), formatBytes(max(free, 0)), seg.name())
	var parts []string
	if taken > 0 {
		parts = append(parts, fmt.Sprintf("%s taken by %d %s placed since the driver last reported", formatBytes(taken), count, plural(count, "claim", "claims")))
	}
	if held > 0 {
		parts = append(parts, fmt.Sprintf("%s held for pods being scheduled", formatBytes(held)))
	}
	if len(parts) > 0 {
		detail += fmt.Sprintf(" (%s reported, %s)", formatBytes(seg.free), strings.Join(parts, ", "))
	}
	return detail
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
