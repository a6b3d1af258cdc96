package topology

import (
	"context"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// ErrReasonClaimInFlight rejects every node, for now, for a pod whose
// single-node claim another pod holds (Holds.ExclusiveHeldByOther): once
// that pod's binding shows, the ReadWriteOnce guard sends this one to the
// same node. The extender and the scheduler plugin both report it.
const ErrReasonClaimInFlight = "node(s) unavailable due to ReadWriteOnce volume being placed with another pod"

// CodeClaimInFlight labels ErrReasonClaimInFlight.
const CodeClaimInFlight Code = "ClaimInFlight"

// DefaultHoldTTL is how long a pod's holds last after it passes filter:
// longer than kube-scheduler needs to reach the binding of a pod, which is
// when the API shows what the pod took.
const DefaultHoldTTL = 10 * time.Second

// Holds are what pods that passed filter hold in one volplace process, for
// the short window before the API shows where kube-scheduler put them.
// Everything else that placements take is read from the API objects, the
// same in every replica: a claim's selected-node annotation, a pod's node.
// Until then, two pods filtered in the same instant would both see the
// same free capacity and the same unused ReadWriteOnce volume.
//
// A pod that passes filter holds its bound single-node claims (other pods
// using them are sent back to the queue until the hold ends) and the
// capacity its claims to provision need, against every segment of their
// class, since the node kube-scheduler will pick is not known yet. A
// capacity hold ends when the cache shows the claim's selected-node (the
// claim then counts against its node's segment) or when the hold expires.
type Holds struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	// exclusive are the held single-node claims ("namespace/name");
	// capacity the pods holding capacity, a handful at any time: a hold
	// leaves as soon as the cache shows its claims' node.
	exclusive map[string]claimHold
	capacity  map[types.UID]*capacityHold
}

type claimHold struct {
	pod     types.UID
	expires time.Time
}

type capacityHold struct {
	expires time.Time
	volumes []heldVolume
}

// heldVolume is a claim waiting for its selected-node annotation.
type heldVolume struct {
	namespace, name, class string
	bytes                  int64
}

// NewHolds returns holds that last ttl on the clock now (time.Now when
// nil).
func NewHolds(ttl time.Duration, now func() time.Time) *Holds {
	if now == nil {
		now = time.Now
	}
	return &Holds{ttl: ttl, now: now, exclusive: map[string]claimHold{}, capacity: map[types.UID]*capacityHold{}}
}

// Hold records what the pod holds after it passed filter on some node,
// replacing the capacity it held before.
func (h *Holds) Hold(s *PodState) {
	var volumes []heldVolume
	for _, d := range s.delayed {
		if d.capacities != nil && d.selectedNode == "" {
			volumes = append(volumes, heldVolume{namespace: d.pvc.Namespace, name: d.pvc.Name, class: d.class.Name, bytes: d.request})
		}
	}
	exclusive := s.exclusiveClaims()
	h.mu.Lock()
	defer h.mu.Unlock()
	expires := h.now().Add(h.ttl)
	for _, c := range exclusive {
		h.exclusive[c] = claimHold{pod: s.Pod.UID, expires: expires}
	}
	if len(volumes) == 0 {
		delete(h.capacity, s.Pod.UID)
		return
	}
	h.capacity[s.Pod.UID] = &capacityHold{expires: expires, volumes: volumes}
}

// ExclusiveHeldByOther reports whether another pod holds one of the pod's
// bound single-node claims.
func (h *Holds) ExclusiveHeldByOther(s *PodState) bool {
	claims := s.exclusiveClaims()
	if len(claims) == 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for _, c := range claims {
		held, ok := h.exclusive[c]
		switch {
		case !ok:
		case now.After(held.expires):
			delete(h.exclusive, c)
		case held.pod != s.Pod.UID:
			return true
		}
	}
	return false
}

// heldCapacity returns, by class, the bytes other pods hold in the classes
// the pod provisions in; a claim counts once, and not at all when it is one
// of the pod's own (pods sharing a claim share its volume). A hold on a
// claim ends when the claim is gone, or when the capacity index the pod
// reads has taken the claim's selected node into account: never in
// between, so that a placement always counts one way or the other.
func (h *Holds) heldCapacity(s *PodState, cluster Cluster) map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.capacity) == 0 {
		return nil
	}
	var out map[string]int64
	var counted []heldVolume
	now := h.now()
	for uid, held := range h.capacity {
		if now.After(held.expires) {
			delete(h.capacity, uid)
			continue
		}
		held.volumes = slices.DeleteFunc(held.volumes, func(v heldVolume) bool {
			if _, ok := cluster.PersistentVolumeClaim(v.namespace, v.name); !ok {
				return true
			}
			idx := s.capacityIndex(v.class)
			return idx != nil && idx.accounts(v.namespace+"/"+v.name)
		})
		if len(held.volumes) == 0 {
			delete(h.capacity, uid)
			continue
		}
		if uid == s.Pod.UID {
			continue
		}
		for _, v := range held.volumes {
			if s.capacityIndex(v.class) == nil || s.ownsClaim(v.namespace+"/"+v.name) ||
				slices.ContainsFunc(counted, func(c heldVolume) bool { return c.namespace == v.namespace && c.name == v.name }) {
				continue
			}
			counted = append(counted, v)
			if out == nil {
				out = map[string]int64{}
			}
			out[v.class] += v.bytes
		}
	}
	return out
}

// Release drops what the pod holds: it passed filter on no node.
func (h *Holds) Release(s *PodState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.capacity, s.Pod.UID)
	for _, c := range s.exclusiveClaims() {
		if held, ok := h.exclusive[c]; ok && held.pod == s.Pod.UID {
			delete(h.exclusive, c)
		}
	}
}

// Settle waits, at most timeout, until no other pod holds capacity the
// pod competes for, preparing the pod again each time it looks (the cache
// moves meanwhile), and returns the last preparation and whether no pod
// holds any. Pods being scheduled reach their binding within milliseconds
// of passing filter: a pod that fits nowhere while they hold capacity
// waits for their placements to reach the cache rather than being sent
// back to a queue that no later event may wake.
func (h *Holds) Settle(ctx context.Context, prepare func() *PodState, timeout time.Duration) (*PodState, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	for {
		s := prepare()
		if len(s.held) == 0 {
			return s, true
		}
		select {
		case <-ctx.Done():
			return s, false
		case <-tick.C:
		}
	}
}

// settlePoll is how often Settle looks at the cache.
const settlePoll = 5 * time.Millisecond
