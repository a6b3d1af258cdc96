package store

import (
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/volplace/volplace/topology"
)

// holding is what one pod or VolumeAttachment holds on a node.
type holding struct {
	node string
	keys []topology.VolumeKey
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
		nd := nodeDriver{node: h.node, driver: k.Driver}
		keys := u.refs[nd]
		if keys == nil {
			keys = map[string]int{}
			u.refs[nd] = keys
		}
		if keys[k.Key]++; keys[k.Key] == 1 {
			u.counts[nd]++
		}
		pods := 0
		if isPodHolder(holder) {
			pods = 1
		}
		nodes := u.nodes[k.Key]
		if i := slices.IndexFunc(nodes, func(n nodeHolders) bool { return n.node == h.node }); i >= 0 {
			nodes[i].holders++
			nodes[i].pods += pods
		} else {
			u.nodes[k.Key] = append(nodes, nodeHolders{node: h.node, holders: 1, pods: pods})
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
		nd := nodeDriver{node: old.node, driver: k.Driver}
		keys := u.refs[nd]
		if keys[k.Key]--; keys[k.Key] <= 0 {
			delete(keys, k.Key)
			if u.counts[nd]--; u.counts[nd] <= 0 {
				delete(u.counts, nd)
				delete(u.refs, nd)
			}
		}
		nodes := u.nodes[k.Key]
		if i := slices.IndexFunc(nodes, func(n nodeHolders) bool { return n.node == old.node }); i >= 0 {
			if isPodHolder(holder) {
				nodes[i].pods--
			}
			if nodes[i].holders--; nodes[i].holders <= 0 {
				nodes = slices.Delete(nodes, i, i+1)
				u.nodes[k.Key] = nodes
			}
		}
		if len(nodes) == 0 {
			delete(u.nodes, k.Key)
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

func podHolder(r *podRecord) string { return podKeyHolder(r.Namespace, r.Name) }

// podKeyHolder is podHolder of the pod namespace/name.
func podKeyHolder(namespace, name string) string { return "pod/" + namespace + "/" + name }

func attachmentHolder(va *storagev1.VolumeAttachment) string { return "va/" + va.Name }

// podHolding returns what a scheduled pod holds on its node
// (topology.PodVolumes).
func (s *Store) podHolding(r *podRecord) holding {
	node := s.nodeOf(r)
	if node == "" {
		return holding{}
	}
	claims := make([]string, len(r.Volumes))
	for i, v := range r.Volumes {
		claims[i] = v.Claim
	}
	return holding{node: node, keys: topology.PodVolumes(s, r.Namespace, r.Phase, claims, r.Inline)}
}

// attachmentHolding returns what a VolumeAttachment holds on its node.
func (s *Store) attachmentHolding(va *storagev1.VolumeAttachment) holding {
	k, ok := topology.AttachmentVolume(s, va)
	if !ok {
		return holding{node: va.Spec.NodeName}
	}
	return holding{node: va.Spec.NodeName, keys: []topology.VolumeKey{k}}
}

// refreshPod recomputes what a pod holds.
func (s *Store) refreshPod(r *podRecord) { s.usage.set(podHolder(r), s.podHolding(r)) }

// refreshAttachment recomputes what a VolumeAttachment holds.
func (s *Store) refreshAttachment(va *storagev1.VolumeAttachment) {
	s.usage.set(attachmentHolder(va), s.attachmentHolding(va))
}

// refreshPods recomputes what every pod holds.
func (s *Store) refreshPods() {
	for _, r := range records(s.pods.List()) {
		s.refreshPod(r)
	}
}

// refreshClaim recomputes the pods using a claim, after the claim (or its
// PV) changed.
func (s *Store) refreshClaim(namespace, name string) {
	for _, r := range records(s.podsByClaim(namespace, name)) {
		s.refreshPod(r)
	}
}

// refreshVolume recomputes what depends on a PV: its claim's pods and its
// VolumeAttachments.
func (s *Store) refreshVolume(pv *corev1.PersistentVolume) {
	if ref := pv.Spec.ClaimRef; ref != nil {
		s.refreshClaim(ref.Namespace, ref.Name)
	}
	for _, va := range s.AttachmentsByPersistentVolume(pv.Name) {
		s.refreshAttachment(va)
	}
}

// VolumesInUse reports how many unique volumes of a CSI driver the node's
// pods and VolumeAttachments hold.
func (s *Store) VolumesInUse(node, driver string) int { return s.usage.count(node, driver) }

// VolumeNodes returns, sorted, the nodes whose pods or VolumeAttachments
// hold a volume, by its key ("driver/handle").
func (s *Store) VolumeNodes(key string) []string { return s.usage.nodesOf(key, false) }

// VolumePodNodes returns, sorted, the nodes whose pods use a volume.
func (s *Store) VolumePodNodes(key string) []string { return s.usage.nodesOf(key, true) }
