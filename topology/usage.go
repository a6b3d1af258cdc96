package topology

import (
	"slices"
	"strings"
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
	mu   sync.RWMutex
	refs map[nodeDriver]map[string]int // (node, driver) -> key -> holders
	// counts is len(refs[nd]): what a candidate node reads, kept in the map
	// itself, without a second map to read.
	counts map[nodeDriver]int
	// nodes are, by volume key, the nodes that hold it, with their number
	// of holders: a short list, most volumes being on one node.
	nodes   map[string][]nodeHolders
	holders map[string]holding // "pod/<ns>/<name>" or "va/<name>" -> what it holds
}

type nodeDriver struct{ node, driver string }

type nodeHolders struct {
	node    string
	holders int
	pods    int // of holders, the pods
}

func isPodHolder(holder string) bool { return strings.HasPrefix(holder, "pod/") }

func newNodeUsage() *nodeUsage {
	return &nodeUsage{
		refs:    map[nodeDriver]map[string]int{},
		counts:  map[nodeDriver]int{},
		nodes:   map[string][]nodeHolders{},
		holders: map[string]holding{},
	}
}

// set replaces what a holder holds.
func (u *nodeUsage) set(holder string, h holding) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.release(holder)
	if h.node == "" || len(h.keys) == 0 {
		return
	}
	// Node names are interned, as the node table's are: the candidate's
	// lookup then compares pointers, not bytes.
	h.node = intern(h.node)
	u.holders[holder] = h
	for _, k := range h.keys {
		nd := nodeDriver{node: h.node, driver: k.driver}
		keys := u.refs[nd]
		if keys == nil {
			keys = map[string]int{}
			u.refs[nd] = keys
		}
		if keys[k.key]++; keys[k.key] == 1 {
			u.counts[nd]++
		}
		pods := 0
		if isPodHolder(holder) {
			pods = 1
		}
		nodes := u.nodes[k.key]
		if i := slices.IndexFunc(nodes, func(n nodeHolders) bool { return n.node == h.node }); i >= 0 {
			nodes[i].holders++
			nodes[i].pods += pods
		} else {
			u.nodes[k.key] = append(nodes, nodeHolders{node: h.node, holders: 1, pods: pods})
		}
	}
}

// release drops a holder's references; the caller holds the lock.
func (u *nodeUsage) release(holder string) {
	old, ok := u.holders[holder]
	if !ok {
		return
	}
	delete(u.holders, holder)
	for _, k := range old.keys {
		nd := nodeDriver{node: old.node, driver: k.driver}
		keys := u.refs[nd]
		if keys[k.key]--; keys[k.key] <= 0 {
			delete(keys, k.key)
			if u.counts[nd]--; u.counts[nd] <= 0 {
				delete(u.counts, nd)
				delete(u.refs, nd)
			}
		}
		nodes := u.nodes[k.key]
		if i := slices.IndexFunc(nodes, func(n nodeHolders) bool { return n.node == old.node }); i >= 0 {
			if isPodHolder(holder) {
				nodes[i].pods--
			}
			if nodes[i].holders--; nodes[i].holders <= 0 {
				nodes = slices.Delete(nodes, i, i+1)
				u.nodes[k.key] = nodes
			}
		}
		if len(nodes) == 0 {
			delete(u.nodes, k.key)
		}
	}
}

// count returns how many unique volumes of a driver are in use on a node.
func (u *nodeUsage) count(node, driver string) int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.counts[nodeDriver{node: node, driver: driver}]
}

// nodesOf returns the nodes that hold a volume; with podsOnly, those where
// pods use it.
func (u *nodeUsage) nodesOf(key string, podsOnly bool) []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]string, 0, len(u.nodes[key]))
	for _, n := range u.nodes[key] {
		if !podsOnly || n.pods > 0 {
			out = append(out, n.node)
		}
	}
	slices.Sort(out)
	return out
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
			if pv, ok := s.PersistentVolume(pvc.Spec.VolumeName); ok {
				if src := pvCSISource(pv); src != nil {
					h.keys = append(h.keys, csiVolumeKey(src))
				}
			}
			continue
		}
		if class, ok := s.StorageClass(volume.GetPersistentVolumeClaimClass(pvc)); ok && class.Provisioner != "" {
			driver := provisionerDriver(class.Provisioner)
			h.keys = append(h.keys, volumeKey{driver: driver, key: unboundVolumeKey(driver, pvc)})
		}
	}
	for i := range r.Inline {
		if k, ok := inlineVolumeKey(&r.Inline[i], r.Namespace); ok {
			h.keys = append(h.keys, k)
		}
	}
	return h
}

// attachmentHolding returns the volume a VolumeAttachment holds on its node.
func (s *indexedSnapshot) attachmentHolding(va *storagev1.VolumeAttachment) holding {
	h := holding{node: va.Spec.NodeName}
	switch src := va.Spec.Source; {
	case src.PersistentVolumeName != nil:
		if pv, ok := s.PersistentVolume(*src.PersistentVolumeName); ok && pvCSISource(pv) != nil {
			h.keys = []volumeKey{csiVolumeKey(pvCSISource(pv))}
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
// pods and VolumeAttachments hold.
func (s *indexedSnapshot) VolumesInUse(node, driver string) int { return s.usage.count(node, driver) }

// VolumeNodes returns, sorted, the nodes whose pods or VolumeAttachments
// hold a volume, by its key ("driver/handle").
func (s *indexedSnapshot) VolumeNodes(key string) []string { return s.usage.nodesOf(key, false) }

// VolumePodNodes returns, sorted, the nodes whose pods use a volume.
func (s *indexedSnapshot) VolumePodNodes(key string) []string { return s.usage.nodesOf(key, true) }
