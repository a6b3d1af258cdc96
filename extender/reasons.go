package extender

import "github.com/volplace/volplace/topology"

const (
	// ErrReasonNodeUnknown rejects a node that kube-scheduler named but
	// volplace's cache does not hold yet (a node added moments ago).
	// Preemption cannot help, but the next attempt will.
	ErrReasonNodeUnknown = "node(s) were unknown to the volplace extender"
	// codeNodeUnknown labels ErrReasonNodeUnknown in metrics.
	codeNodeUnknown topology.Code = "NodeUnknown"

	// ErrReasonClaimInFlight rejects every node, for now, for a pod whose
	// single-node claim another pod is being placed with: once that pod's
	// binding shows, the ReadWriteOnce guard sends this one to the same node.
	ErrReasonClaimInFlight = "node(s) unavailable due to ReadWriteOnce volume being placed with another pod"
	// codeClaimInFlight labels ErrReasonClaimInFlight in metrics.
	codeClaimInFlight topology.Code = "ClaimInFlight"
)
