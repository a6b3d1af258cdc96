package topology

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// attachCount is one driver's attach slots on a node.
type attachCount struct {
	driver string
	used   int64 // volumes attached or in use on the node
	added  int64 // volumes the pod adds
	limit  int64
}

// volumeLimit returns a driver's attach limit on the node: the CSINode's
// allocatable count, else the node's attachable-volumes-csi-<driver>
// allocatable resource.
func volumeLimit(n *nodeState, driver string) (int64, bool) {
	if entry, ok := n.csiDriver(driver); ok && entry.Allocatable != nil && entry.Allocatable.Count != nil {
		return int64(*entry.Allocatable.Count), true
	}
	if len(n.node.Status.Allocatable) == 0 {
		return 0, false
	}
	if q, ok := n.node.Status.Allocatable[corev1.ResourceName("attachable-volumes-csi-"+driver)]; ok {
		return q.Value(), true
	}
	return 0, false
}

// checkAttachLimits rejects the node when the pod's new CSI volumes would
// exceed a driver's attach limit. Volumes count once by driver and handle,
// whether pods on the node use them or VolumeAttachments hold them; a volume
// the node already has does not count again.
func (e *Evaluator) checkAttachLimits(s *PodState, n *nodeState) {
	for _, driver := range s.newDrivers {
		limit, ok := volumeLimit(n, driver)
		if !ok {
			continue
		}
		keys := s.newVolumes[driver]
		used, present := e.snap.VolumesInUse(n.node.Name, driver, keys)
		c := attachCount{driver: driver, used: int64(used), added: int64(len(keys) - present), limit: limit}
		n.attach = append(n.attach, c)
		if c.added > 0 && c.used+c.added > c.limit {
			n.fail(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, driver, false, func() string {
				return fmt.Sprintf("driver %s: %d attached + %d new > limit %d", driver, c.used, c.added, c.limit)
			})
		}
	}
}
