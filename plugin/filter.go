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
	c := pl.evaluate(s, nodeInfo)
	if c.Fits {
		s.scores.Store(c.Name, c.Score)
		return nil
	}
	if c.Unresolvable {
		return fwk.NewStatus(fwk.UnschedulableAndUnresolvable, c.Message)
	}
	return fwk.NewStatus(fwk.Unschedulable, c.Message)
}

// evaluate gives the pod's verdict on the node: EvaluateNodes, the
// extender's evaluation, on one candidate.
func (pl *Volplace) evaluate(s *cycleState, nodeInfo fwk.NodeInfo) topology.Candidate {
	name := ""
	if node := nodeInfo.Node(); node != nil {
		name = node.Name
	}
	cands := [1]topology.Candidate{topology.ResolveNode(pl.store, []byte(name))}
	pl.ev.EvaluateNodes(s.pod, cands[:], 1)
	return cands[0]
}
