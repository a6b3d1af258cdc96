package topology

import (
	"fmt"
)

// attachCount is one driver's attach slots on a node.
type attachCount struct {
	driver string
	used   int64 // volumes attached or in use on the node
	added  int64 // volumes the pod adds
	limit  int64
}

// checkAttachLimits rejects the node when the pod's new CSI volumes would
// exceed a driver's attach limit. Volumes count once by driver and handle,
// whether pods on the node use them or VolumeAttachments hold them; a volume
// the node already has does not count again.
func (e *Evaluator) checkAttachLimits(s *PodState, n *nodeState) {
	for _, driver := range s.newDrivers {
		limit, ok := n.node.attachLimit(driver)
		if !ok {
			continue
		}
		keys := s.newVolumes[driver]
		// The count is read now, the volumes the node already holds when
		// the pod was prepared: an attachment that comes or goes between
		// the two can make one node off by one, as if the pod had come a
		// moment earlier or later.
		used := e.snap.VolumesInUse(n.node.name, driver)
		var nd nodeDriver
		present := 0
		if len(s.present) > 0 {
			nd = nodeDriver{node: n.node.name, driver: driver}
			present = s.present[nd]
		}
		c := attachCount{driver: driver, used: int64(used), added: int64(len(keys) - present), limit: limit}
		n.attach = append(n.attach, c)
		if c.added > 0 && c.used+c.added > c.limit {
			n.fail(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, driver, false, func() string {
				return fmt.Sprintf("driver %s: %d attached + %d new > limit %d", driver, c.used, c.added, c.limit)
			})
			continue
		}
		// kube-scheduler's NodeVolumeLimits leaves out of the new volumes
		// only those that pods on the node use: one that only a
		// VolumeAttachment holds counts as attached and as new.
		if present == 0 || !e.opts.InTreeVolumeLimits {
			continue
		}
		if twice := int64(present - s.presentByPods[nd]); twice > 0 && c.used+c.added+twice > c.limit {
			n.fail(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, driver, false, func() string {
				return fmt.Sprintf("driver %s: %d attached + %d new > limit %d as kube-scheduler's NodeVolumeLimits counts: %d of the pod's volumes %s attached to the node with no pod using %s, and it counts %s both as attached and as new (on the node they take %d slots, within the limit)",
					driver, c.used, c.added+twice, c.limit, twice, plural(int(twice), "is", "are"), plural(int(twice), "it", "them"), plural(int(twice), "it", "them"), c.used+c.added)
			})
		}
	}
}
