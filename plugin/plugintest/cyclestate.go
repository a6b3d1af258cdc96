package plugintest

import (
	"sync"

	fwk "k8s.io/kube-scheduler/framework"
)

// cycleState is a CycleState that stores data, safe for concurrent use as
// the framework's is. The other methods, which the framework's runtime
// calls rather than a plugin, panic (the embedded nil interface).
type cycleState struct {
	fwk.CycleState
	data sync.Map // fwk.StateKey -> fwk.StateData
}

// NewCycleState returns an empty CycleState, for one scheduling cycle of
// one pod.
func NewCycleState() fwk.CycleState {
	return &cycleState{}
}

// Read returns the data written under key, or fwk.ErrNotFound.
func (c *cycleState) Read(key fwk.StateKey) (fwk.StateData, error) {
	if d, ok := c.data.Load(key); ok {
		return d.(fwk.StateData), nil
	}
	return nil, fwk.ErrNotFound
}

// Write stores val under key.
func (c *cycleState) Write(key fwk.StateKey, val fwk.StateData) { c.data.Store(key, val) }

// Delete forgets the data under key.
func (c *cycleState) Delete(key fwk.StateKey) { c.data.Delete(key) }
