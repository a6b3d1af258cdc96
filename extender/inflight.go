package extender

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// DefaultInFlightTTL is how long a claim stays reserved for the pod that
// last passed filter with it: longer than kube-scheduler needs to bind a pod
// whose volumes are already bound.
const DefaultInFlightTTL = 10 * time.Second

// inFlight reserves single-node claims for pods between filter and binding.
// volplace's cache does not show the pods kube-scheduler has assumed on a
// node but not bound yet, so two pods sharing a ReadWriteOnce claim filtered
// in the same instant would both see the volume free and could be placed on
// two nodes. The first pod to pass filter reserves its claims; until its
// binding shows in the cache (the ReadWriteOnce guard then pins the others
// to its node) or the reservation expires, other pods using those claims
// are sent back to kube-scheduler's queue.
type inFlight struct {
	mu     sync.Mutex
	ttl    time.Duration
	now    func() time.Time
	claims map[string]reservation
}

type reservation struct {
	pod     types.UID
	expires time.Time
}

func newInFlight(ttl time.Duration, now func() time.Time) *inFlight {
	return &inFlight{ttl: ttl, now: now, claims: map[string]reservation{}}
}

// reservedByOther reports whether another pod holds a live reservation on
// one of the claims.
func (f *inFlight) reservedByOther(pod types.UID, claims []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, c := range claims {
		r, ok := f.claims[c]
		if !ok {
			continue
		}
		if now.After(r.expires) {
			delete(f.claims, c)
			continue
		}
		if r.pod != pod {
			return true
		}
	}
	return false
}

// reserve reserves the claims for the pod.
func (f *inFlight) reserve(pod types.UID, claims []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	expires := f.now().Add(f.ttl)
	for _, c := range claims {
		f.claims[c] = reservation{pod: pod, expires: expires}
	}
}
