package extender

import "github.com/volplace/volplace/topology"

const (
	// ErrReasonNodeUnknown rejects a node that kube-scheduler named but
	// volplace's cache does not hold yet (a node added moments ago).
	// Preemption cannot help, but the next attempt will.
	ErrReasonNodeUnknown = "node(s) were unknown to the volplace extender"
	// codeNodeUnknown labels ErrReasonNodeUnknown in metrics.
	codeNodeUnknown topology.Code = "NodeUnknown"
)
