package extender

import "github.com/volplace/volplace/topology"

const (
	// ErrReasonClaimInFlight rejects every node, for now, for a pod whose
	// single-node claim another pod is being placed with: once that pod's
	// binding shows, the ReadWriteOnce guard sends this one to the same node.
	ErrReasonClaimInFlight = topology.ErrReasonClaimInFlight
	// codeClaimInFlight labels ErrReasonClaimInFlight in metrics.
	codeClaimInFlight = topology.CodeClaimInFlight
)
