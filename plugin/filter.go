package plugin

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
)

// Filter evaluates the pod on one node, with the extender's verdict and
// reason line.
func (pl *Volplace) Filter(_ context.Context, cs fwk.CycleState, _ *corev1.Pod, nodeInfo fwk.NodeInfo) *fwk.Status {
	s, err := readState(cs)
	switch {
	case err != nil:
		return fwk.AsStatus(err)
	case s == nil:
		return nil
	case s.inFlight:
		// As the extender answers: failed, not unresolvable (the claim's
		// other pod may yet go elsewhere).
		return fwk.NewStatus(fwk.Unschedulable, topology.ErrReasonClaimInFlight)
	}
	node := nodeInfo.Node()
	if node == nil {
		return fwk.NewStatus(fwk.Error, errNodeNotFound)
	}
	c := pl.evaluate(s, node)
	if c.Fits {
		s.scores.Store(c.Name, c.Score)
		return nil
	}
	if c.Unresolvable {
		return fwk.NewStatus(fwk.UnschedulableAndUnresolvable, c.Message)
	}
	return fwk.NewStatus(fwk.Unschedulable, c.Message)
}

// errNodeNotFound is the error of a NodeInfo without its node, as
// kube-scheduler's own plugins word it.
const errNodeNotFound = "node not found"

// evaluate gives the pod's verdict on the node: EvaluateNodes, the
// extender's evaluation, on one candidate.
func (pl *Volplace) evaluate(s *cycleState, node *corev1.Node) topology.Candidate {
	cands := [1]topology.Candidate{topology.NodeCandidate(pl.store, node)}
	pl.ev.EvaluateNodes(s.pod, cands[:], 1)
	return cands[0]
}
