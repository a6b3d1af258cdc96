package topology

import (
	"fmt"
	"slices"

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
	limits := map[string]int64{}
	for _, driver := range s.newVolumes {
		if _, seen := limits[driver]; seen {
			continue
		}
		if limit, ok := volumeLimit(n, driver); ok {
			limits[driver] = limit
		}
	}
	if len(limits) == 0 {
		return
	}
	inUse := e.volumesOnNode(s.Pod, n.node.Name, limits)
	counts := map[string]*attachCount{}
	for driver, limit := range limits {
		counts[driver] = &attachCount{driver: driver, limit: limit}
	}
	for _, driver := range inUse {
		counts[driver].used++
	}
	for key, driver := range s.newVolumes {
		if c, ok := counts[driver]; ok && inUse[key] == "" {
			c.added++
		}
	}
	drivers := make([]string, 0, len(counts))
	for driver := range counts {
		drivers = append(drivers, driver)
	}
	slices.Sort(drivers)
	for _, driver := range drivers {
		c := counts[driver]
		n.attach = append(n.attach, *c)
		if c.added > 0 && c.used+c.added > c.limit {
			n.reasons.add(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, driver,
				fmt.Sprintf("driver %s: %d attached + %d new > limit %d", driver, c.used, c.added, c.limit), false)
		}
	}
}

// volumesOnNode returns the volumes of the given drivers that the node's
// other non-terminated pods use or that VolumeAttachments hold, as unique
// "driver/handle" keys mapped to their driver.
func (e *Evaluator) volumesOnNode(pod *corev1.Pod, node string, drivers map[string]int64) map[string]string {
	volumes := map[string]string{}
	record := func(driver, key string) {
		if _, ok := drivers[driver]; ok {
			volumes[key] = driver
		}
	}
	for _, p := range e.snap.PodsByNode(node) {
		if isTerminal(p) || samePod(p, pod) {
			continue
		}
		for i := range p.Spec.Volumes {
			name := claimName(p, &p.Spec.Volumes[i])
			if name == "" {
				continue
			}
			pvc, ok := e.snap.PersistentVolumeClaim(p.Namespace, name)
			if !ok {
				continue
			}
			if pvc.Spec.VolumeName != "" {
				if pv, ok := e.snap.PersistentVolume(pvc.Spec.VolumeName); ok && pv.Spec.CSI != nil {
					record(pv.Spec.CSI.Driver, pv.Spec.CSI.Driver+"/"+pv.Spec.CSI.VolumeHandle)
				}
				continue
			}
			if class, ok := e.delayedBindingClass(pvc); ok {
				record(class.Provisioner, unboundVolumeKey(class.Provisioner, pvc))
			}
		}
	}
	for _, va := range e.snap.AttachmentsByNode(node) {
		driver := va.Spec.Attacher
		switch src := va.Spec.Source; {
		case src.PersistentVolumeName != nil:
			if pv, ok := e.snap.PersistentVolume(*src.PersistentVolumeName); ok && pv.Spec.CSI != nil {
				record(pv.Spec.CSI.Driver, pv.Spec.CSI.Driver+"/"+pv.Spec.CSI.VolumeHandle)
			} else {
				record(driver, driver+"/<pv>"+*src.PersistentVolumeName)
			}
		case src.InlineVolumeSpec != nil && src.InlineVolumeSpec.CSI != nil:
			record(driver, driver+"/"+src.InlineVolumeSpec.CSI.VolumeHandle)
		}
	}
	return volumes
}
