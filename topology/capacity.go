package topology

import (
	"slices"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// segment is a CSIStorageCapacity with its node selector compiled.
type segment struct {
	capacity *storagev1.CSIStorageCapacity
	selector labels.Selector // nil: no node has access
	// limit is the largest volume the segment can hold: maximumVolumeSize
	// when set, else capacity (-1 when neither is set).
	limit int64
	// free is the reported capacity (-1 when unset).
	free int64
}

// CapacityIndex holds the CSIStorageCapacity objects of one StorageClass,
// compiled. It finds the segments a node reaches without testing every
// segment: drivers publish one CSIStorageCapacity per topology segment,
// selected by a single label (a zone, or a hostname for local storage), so
// segments with a one-label matchLabels selector are looked up by that
// label; other selectors are tested one by one.
type CapacityIndex struct {
	// byLabel holds, per label key, the segments by label value: a node
	// reads one map entry per key, which holds its segments themselves.
	byLabel []labelSegments
	other   []*segment
}

type labelSegments struct {
	key     string
	byValue map[string][]segment
}

func quantityOr(q *resource.Quantity, def int64) int64 {
	if q == nil {
		return def
	}
	return q.Value()
}

func newCapacityIndex(capacities []*storagev1.CSIStorageCapacity) *CapacityIndex {
	idx := &CapacityIndex{}
	byLabel := map[string]map[string][]segment{}
	for _, c := range capacities {
		s := &segment{capacity: c, free: quantityOr(c.Capacity, -1)}
		s.limit = quantityOr(c.MaximumVolumeSize, s.free)
		topo := c.NodeTopology
		switch {
		case topo == nil:
			continue // reaches no node
		case len(topo.MatchLabels) == 1 && len(topo.MatchExpressions) == 0:
			for k, v := range topo.MatchLabels {
				k, v = intern(k), intern(v)
				if byLabel[k] == nil {
					byLabel[k] = map[string][]segment{}
				}
				byLabel[k][v] = append(byLabel[k][v], *s)
			}
		default:
			sel, err := metav1.LabelSelectorAsSelector(topo)
			if err != nil {
				continue // an invalid selector reaches no node
			}
			s.selector = sel
			idx.other = append(idx.other, s)
		}
	}
	for k, byValue := range byLabel {
		idx.byLabel = append(idx.byLabel, labelSegments{key: k, byValue: byValue})
	}
	// In a fixed order: of segments with equal free capacity, the first wins.
	slices.SortFunc(idx.byLabel, func(a, b labelSegments) int { return strings.Compare(a.key, b.key) })
	return idx
}

// bestSegment returns, among the segments reachable from the node that can
// hold a volume of the requested size, the one with the most free capacity.
// It also returns the largest limit among reachable segments, -1 when none
// is reachable, to explain a failure.
func (idx *CapacityIndex) bestSegment(node *nodeView, request int64) (*segment, int64) {
	var best *segment
	largest := int64(-1)
	consider := func(s *segment) {
		largest = max(largest, s.limit)
		if s.limit >= request && (best == nil || s.free > best.free) {
			best = s
		}
	}
	for _, l := range idx.byLabel {
		if v, ok := node.Lookup(l.key); ok {
			segments := l.byValue[v]
			for i := range segments {
				consider(&segments[i])
			}
		}
	}
	for _, s := range idx.other {
		if s.selector.Matches(node) {
			consider(s)
		}
	}
	return best, largest
}

// formatBytes prints a byte count in binary units.
func formatBytes(b int64) string {
	return resource.NewQuantity(b, resource.BinarySI).String()
}
