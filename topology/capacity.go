package topology

import (
	corev1 "k8s.io/api/core/v1"
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

func quantityOr(q *resource.Quantity, def int64) int64 {
	if q == nil {
		return def
	}
	return q.Value()
}

func segments(capacities []*storagev1.CSIStorageCapacity) []*segment {
	out := make([]*segment, 0, len(capacities))
	for _, c := range capacities {
		s := &segment{capacity: c, free: quantityOr(c.Capacity, -1)}
		s.limit = quantityOr(c.MaximumVolumeSize, s.free)
		if c.NodeTopology != nil {
			if sel, err := metav1.LabelSelectorAsSelector(c.NodeTopology); err == nil {
				s.selector = sel
			}
		}
		out = append(out, s)
	}
	return out
}

// bestSegment returns, among the segments reachable from the node that can
// hold a volume of the requested size, the one with the most free capacity.
// It also returns the largest limit among reachable segments, -1 when none
// is reachable, to explain a failure.
func bestSegment(segs []*segment, node *corev1.Node, request int64) (*segment, int64) {
	var best *segment
	largest := int64(-1)
	nodeLabels := labels.Set(node.Labels)
	for _, s := range segs {
		if s.selector == nil || !s.selector.Matches(nodeLabels) {
			continue
		}
		largest = max(largest, s.limit)
		if s.limit < request {
			continue
		}
		if best == nil || s.free > best.free {
			best = s
		}
	}
	return best, largest
}

// formatBytes prints a byte count in binary units.
func formatBytes(b int64) string {
	return resource.NewQuantity(b, resource.BinarySI).String()
}
