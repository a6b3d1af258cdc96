package topology

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/component-helpers/storage/volume"
)

// attachCount is one driver's attach slots on a node.
type attachCount struct {
	driver string
	used   int64 // volumes attached or in use on the node
	added  int64 // volumes the pod adds
	limit  int64
}

// prepareAttachLimits lists the attachable volumes the pod adds, by driver,
// and counts, by node, those a node already holds, which do not count
// again against its attach limit.
func (e *Evaluator) prepareAttachLimits(s *PodState) {
	pod := s.Pod
	addVolume := func(k VolumeKey) {
		if !slices.Contains(s.newVolumes[k.Driver], k.Key) {
			s.newVolumes[k.Driver] = append(s.newVolumes[k.Driver], k.Key)
		}
	}
	for _, b := range s.bound {
		if b.pv == nil {
			continue
		}
		if src := pvCSISource(b.pv); src != nil {
			addVolume(csiVolumeKey(src))
		}
	}
	for _, d := range s.delayed {
		if d.class.Provisioner != "" {
			driver := provisionerDriver(d.class.Provisioner)
			addVolume(VolumeKey{Driver: driver, Key: unboundVolumeKey(driver, d.pvc)})
		}
	}
	for i := range pod.Spec.Volumes {
		if k, ok := inlineVolumeKey(&pod.Spec.Volumes[i], pod.Namespace); ok {
			addVolume(k)
		}
	}
	for driver, keys := range s.newVolumes {
		s.newDrivers = append(s.newDrivers, driver)
		for _, key := range keys {
			for _, node := range e.cluster.VolumeNodes(key) {
				if s.present == nil {
					s.present = map[nodeDriver]int{}
				}
				s.present[nodeDriver{node: node, driver: driver}]++
			}
			if !e.opts.InTreeVolumeLimits {
				continue
			}
			for _, node := range e.cluster.VolumePodNodes(key) {
				if s.presentByPods == nil {
					s.presentByPods = map[nodeDriver]int{}
				}
				s.presentByPods[nodeDriver{node: node, driver: driver}]++
			}
		}
	}
	slices.Sort(s.newDrivers)
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
		used := e.cluster.VolumesInUse(n.node.name, driver)
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

// VolumeKey identifies an attachable volume for attach counting: its CSI
// driver, and a key unique per volume ("driver/handle", or a placeholder
// for an unbound claim's future volume).
type VolumeKey struct {
	Driver, Key string
}

// csiVolumeKey is the key of a bound CSI volume.
func csiVolumeKey(src *corev1.CSIPersistentVolumeSource) VolumeKey {
	return VolumeKey{Driver: src.Driver, Key: src.Driver + "/" + src.VolumeHandle}
}

// VolumeObjects are the objects attach counting looks a pod's volumes up in.
type VolumeObjects interface {
	PersistentVolume(name string) (*corev1.PersistentVolume, bool)
	PersistentVolumeClaim(namespace, name string) (*corev1.PersistentVolumeClaim, bool)
	StorageClass(name string) (*storagev1.StorageClass, bool)
}

// PodVolumes returns the attachable volumes that a pod on a node holds, as
// kube-scheduler's NodeVolumeLimits counts them: its bound CSI volumes (and
// volumes of migrated in-tree plugins) by handle, its unbound claims by
// their class's provisioner, and its inline volumes of migrated in-tree
// plugins. claims are the names of the claims it uses in namespace, inline
// its other volumes. A terminated pod holds none.
func PodVolumes(objs VolumeObjects, namespace string, phase corev1.PodPhase, claims []string, inline []corev1.Volume) []VolumeKey {
	if terminal(phase) {
		return nil
	}
	var keys []VolumeKey
	for _, claim := range claims {
		pvc, ok := objs.PersistentVolumeClaim(namespace, claim)
		if !ok {
			continue
		}
		if pvc.Spec.VolumeName != "" {
			if pv, ok := objs.PersistentVolume(pvc.Spec.VolumeName); ok {
				if src := pvCSISource(pv); src != nil {
					keys = append(keys, csiVolumeKey(src))
				}
			}
			continue
		}
		if class, ok := objs.StorageClass(volume.GetPersistentVolumeClaimClass(pvc)); ok && class.Provisioner != "" {
			driver := provisionerDriver(class.Provisioner)
			keys = append(keys, VolumeKey{Driver: driver, Key: unboundVolumeKey(driver, pvc)})
		}
	}
	for i := range inline {
		if k, ok := inlineVolumeKey(&inline[i], namespace); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// AttachmentVolume returns the volume a VolumeAttachment holds on its node,
// and false for an attachment of no volume volplace counts.
func AttachmentVolume(objs VolumeObjects, va *storagev1.VolumeAttachment) (VolumeKey, bool) {
	switch src := va.Spec.Source; {
	case src.PersistentVolumeName != nil:
		if pv, ok := objs.PersistentVolume(*src.PersistentVolumeName); ok && pvCSISource(pv) != nil {
			return csiVolumeKey(pvCSISource(pv)), true
		}
		return VolumeKey{Driver: va.Spec.Attacher, Key: va.Spec.Attacher + "/<pv>" + *src.PersistentVolumeName}, true
	case src.InlineVolumeSpec != nil && src.InlineVolumeSpec.CSI != nil:
		return csiVolumeKey(src.InlineVolumeSpec.CSI), true
	}
	return VolumeKey{}, false
}

// AttachableInline reports whether a pod volume that uses no claim counts
// toward attach limits: an inline volume of an in-tree plugin that CSI
// migration attaches through a CSI driver.
func AttachableInline(vol *corev1.Volume) bool { return translator.IsInlineMigratable(vol) }

// nodeDriver is one CSI driver on one node.
type nodeDriver struct{ node, driver string }

// unboundVolumeKey identifies an unbound claim's future volume for attach
// counting, as kube-scheduler does, by the class's provisioner.
func unboundVolumeKey(driver string, pvc *corev1.PersistentVolumeClaim) string {
	return driver + "/<unbound>" + pvc.Namespace + "/" + pvc.Name
}

type attachLimit struct {
	driver string
	limit  int64
}

// attachHeadroomScore scores the node by the attach slots left, after
// placement, to the driver with the fewest free in proportion to its
// limit. It applies when the pod adds volumes of a driver with a limit.
func (e *Evaluator) attachHeadroomScore(n *nodeState) (ScoreComponent, bool) {
	if len(n.attach) == 0 {
		return ScoreComponent{}, false
	}
	c := ScoreComponent{Name: ComponentAttachHeadroom, Score: MaxScore}
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
	return c, true
}
