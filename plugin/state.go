package plugin

import (
	"errors"
	"fmt"
	"sync"

	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
)

// stateKey is where PreFilter leaves the pod's preparation in the cycle
// state.
const stateKey fwk.StateKey = Name

// cycleState is the pod's preparation, for one scheduling cycle.
type cycleState struct {
	pod *topology.PodState
	// inFlight is true when another pod being scheduled holds one of the
	// pod's single-node claims: every node fails with
	// topology.ErrReasonClaimInFlight.
	inFlight bool
	// scores are the scores Filter computed, by node name: Score reads
	// them instead of evaluating the node again.
	scores sync.Map
}

// Clone shares the state: after PreFilter only Filter's scores change,
// which a clone may share.
func (s *cycleState) Clone() fwk.StateData { return s }

// readState returns the state PreFilter left, or nil when PreFilter
// skipped the pod.
func readState(cs fwk.CycleState) (*cycleState, error) {
	data, err := cs.Read(stateKey)
	if errors.Is(err, fwk.ErrNotFound) {
		return nil, nil // PreFilter skipped the pod
	}
	if err != nil {
		return nil, fmt.Errorf("volplace: reading the cycle state: %w", err)
	}
	s, ok := data.(*cycleState)
	if !ok {
		return nil, fmt.Errorf("volplace: cycle state %q holds a %T", stateKey, data)
	}
	return s, nil
}
