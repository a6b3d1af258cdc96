package topology

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// maxCachedAffinities bounds the affinityCache: past it, the cache starts
// over.
const maxCachedAffinities = 4096

// affinityCache keeps the compiled node affinity of the PVs that pods have
// asked about. Compiling validates every key and value with regular
// expressions, which costs more than matching hundreds of nodes, and every
// pod is prepared at least twice, for filter and for prioritize, more when
// kube-scheduler retries it. An entry is keyed by the PV object itself: an
// update of the PV is a new object, compiled anew.
type affinityCache struct {
	mu    sync.Mutex
	byPV  map[*corev1.PersistentVolume]*nodeSelector
	limit int
}

func newAffinityCache() *affinityCache {
	return &affinityCache{byPV: map[*corev1.PersistentVolume]*nodeSelector{}, limit: maxCachedAffinities}
}

// get returns the PV's required node affinity, compiled, or nil when it has
// none.
func (c *affinityCache) get(pv *corev1.PersistentVolume) *nodeSelector {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return nil
	}
	c.mu.Lock()
	s, ok := c.byPV[pv]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = compileNodeSelector(pv.Spec.NodeAffinity.Required)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byPV) >= c.limit {
		clear(c.byPV) // drops PVs long replaced or deleted along with the rest
	}
	c.byPV[pv] = s
	return s
}

// checkNodeAffinity rejects the node when a bound PV's required node
// affinity does not admit it, as kube-scheduler's VolumeBinding does.
// Evaluator.rejectedBy (nodeaffinity_index.go) tells the same for most nodes
// without reading them.
func checkNodeAffinity(b *boundClaim, n *nodeState) {
	if b.affinity.Match(n.node) {
		return
	}
	n.fail(CodeNodeConflict, ErrReasonNodeConflict, b.pv.Name, true, func() string {
		detail := fmt.Sprintf("PersistentVolume %s: node affinity does not match the node's labels and name", b.pv.Name)
		if b.affinity.err != nil {
			detail += fmt.Sprintf(" (invalid: %v)", b.affinity.err)
		}
		return detail
	})
}
