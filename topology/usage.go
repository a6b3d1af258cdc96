package topology

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/component-helpers/storage/volume"
)

// volumeKey identifies an attachable volume: its driver and a key unique per
// volume ("driver/handle", or a placeholder for an unbound claim).
type volumeKey struct {
	driver, key string
}

// holding is what one pod or VolumeAttachment holds on a node.
type holding struct {
	node string
	keys []volumeKey
}

// nodeUsage counts, per node and CSI driver, the unique volumes that the
// node's non-terminated pods use or that VolumeAttachments hold, so that
// the attach-limit rule reads a count instead of walking the node's pods
// for every candidate node. It is kept current from object events.
type nodeUsage struct {
	mu      sync.RWMutex
	refs    map[string]map[string]map[string]int // node -> driver -> key -> holders
	holders map[string]holding                   // "pod/<ns>/<name>" or "va/<name>" -> what it holds
}

func newNodeUsage() *nodeUsage {
	return &nodeUsage{refs: map[string]map[string]map[string]int{}, holders: map[string]holding{}}
}

// set replaces what a holder holds.
func (u *nodeUsage) set(holder string, h holding) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.release(holder)
	if h.node == "" || len(h.keys) == 0 {
		return
	}
	u.holders[holder] = h
	byDriver := u.refs[h.node]
	if byDriver == nil {
		byDriver = map[string]map[string]int{}
		u.refs[h.node] = byDriver
	}
	for _, k := range h.keys {
		if byDriver[k.driver] == nil {
			byDriver[k.driver] = map[string]int{}
		}
		byDriver[k.driver][k.key]++
	}
}

// release drops a holder's references; the caller holds the lock.
func (u *nodeUsage) release(holder string) {
	old, ok := u.holders[holder]
	if !ok {
		return
	}
	delete(u.holders, holder)
	byDriver := u.refs[old.node]
	for _, k := range old.keys {
		keys := byDriver[k.driver]
		if keys[k.key]--; keys[k.key] <= 0 {
			delete(keys, k.key)
		}
		if len(keys) == 0 {
			delete(byDriver, k.driver)
		}
	}
	if len(byDriver) == 0 {
		delete(u.refs, old.node)
	}
}

// count returns how many unique volumes of a driver are in use on a node,
// and how many of keys are among them.
func (u *nodeUsage) count(node, driver string, keys []string) (inUse, present int) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	volumes := u.refs[node][driver]
	for _, k := range keys {
		if volumes[k] > 0 {
			present++
		}
	}
	return len(volumes), present
}

func podHolder(r *podRecord) string { return "pod/" + r.Namespace + "/" + r.Name }

func attachmentHolder(va *storagev1.VolumeAttachment) string { return "va/" + va.Name }

// csiVolumeKey is the key of a bound CSI volume.
func csiVolumeKey(src *corev1.CSIPersistentVolumeSource) volumeKey {
	return volumeKey{driver: src.Driver, key: src.Driver + "/" + src.VolumeHandle}
}

// podHolding returns the attachable volumes a scheduled, non-terminated pod
// holds: bound CSI volumes by handle, unbound claims by their class's
// provisioner, as kube-scheduler's NodeVolumeLimits counts them.
func (s *indexedSnapshot) podHolding(r *podRecord) holding {
	if r.NodeName == "" || terminal(r.Phase) {
		return holding{}
	}
	h := holding{node: r.NodeName}
	for _, v := range r.Volumes {
		pvc, ok := s.PersistentVolumeClaim(r.Namespace, v.Claim)
		if !ok {
			continue
		}
		if pvc.Spec.VolumeName != "" {
			if pv, ok := s.PersistentVolume(pvc.Spec.VolumeName); ok && pv.Spec.CSI != nil {
				h.keys = append(h.keys, csiVolumeKey(pv.Spec.CSI))
			}
			continue
		}
		if class, ok := s.StorageClass(volume.GetPersistentVolumeClaimClass(pvc)); ok && class.Provisioner != "" {
			h.keys = append(h.keys, volumeKey{driver: class.Provisioner, key: unboundVolumeKey(class.Provisioner, pvc)})
		}
	}
	return h
}

// attachmentHolding returns the volume a VolumeAttachment holds on its node.
func (s *indexedSnapshot) attachmentHolding(va *storagev1.VolumeAttachment) holding {
	h := holding{node: va.Spec.NodeName}
	switch src := va.Spec.Source; {
	case src.PersistentVolumeName != nil:
		if pv, ok := s.PersistentVolume(*src.PersistentVolumeName); ok && pv.Spec.CSI != nil {
			h.keys = []volumeKey{csiVolumeKey(pv.Spec.CSI)}
		} else {
			h.keys = []volumeKey{{driver: va.Spec.Attacher, key: va.Spec.Attacher + "/<pv>" + *src.PersistentVolumeName}}
		}
	case src.InlineVolumeSpec != nil && src.InlineVolumeSpec.CSI != nil:
		h.keys = []volumeKey{csiVolumeKey(src.InlineVolumeSpec.CSI)}
	}
	return h
}

// refreshPod recomputes what a pod holds.
func (s *indexedSnapshot) refreshPod(r *podRecord) { s.usage.set(podHolder(r), s.podHolding(r)) }

// refreshAttachment recomputes what a VolumeAttachment holds.
func (s *indexedSnapshot) refreshAttachment(va *storagev1.VolumeAttachment) {
	s.usage.set(attachmentHolder(va), s.attachmentHolding(va))
}

// refreshPods recomputes what every pod holds.
func (s *indexedSnapshot) refreshPods() {
	for _, r := range records(s.pods.List()) {
		s.refreshPod(r)
	}
}

// refreshClaim recomputes the pods using a claim, after the claim (or its
// PV) changed.
func (s *indexedSnapshot) refreshClaim(namespace, name string) {
	for _, r := range records(s.podsByClaim(namespace, name)) {
		s.refreshPod(r)
	}
}

// refreshVolume recomputes what depends on a PV: its claim's pods and its
// VolumeAttachments.
func (s *indexedSnapshot) refreshVolume(pv *corev1.PersistentVolume) {
	if ref := pv.Spec.ClaimRef; ref != nil {
		s.refreshClaim(ref.Namespace, ref.Name)
	}
	for _, va := range s.AttachmentsByPersistentVolume(pv.Name) {
		s.refreshAttachment(va)
	}
}

// VolumesInUse reports how many unique volumes of a CSI driver the node's
// pods and VolumeAttachments hold, and how many of keys are among them.
func (s *indexedSnapshot) VolumesInUse(node, driver string, keys []string) (inUse, present int) {
	return s.usage.count(node, driver, keys)
}
