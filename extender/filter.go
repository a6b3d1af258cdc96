package extender

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
)

// filterOutcome is a filter's answer. The verdicts stay in the candidates,
// to be encoded without building and sorting maps of failed nodes.
type filterOutcome struct {
	// names are the nodes that pass, in NodeNames mode; nodes in Nodes mode.
	names *[]string
	nodes *corev1.NodeList
	// cands are the candidates with their verdicts, tally their counts.
	cands []topology.Candidate
	tally topology.Tally
}

// settleTimeout bounds how long a filter request waits for the placements of
// pods being scheduled to reach the cache (topology.Holds.Settle): far less
// than kube-scheduler's extender timeout, far more than a binding takes.
const settleTimeout = time.Second

// filter evaluates the pod on the request's candidates. With holds, a pod
// that passes on some node holds what it needs until the API shows where it
// went, and a pod whose single-node claims another pod holds is sent back.
func filter(ctx context.Context, ev *topology.Evaluator, holds *topology.Holds, req *request, cands []topology.Candidate, parallelism int) *filterOutcome {
	out := &filterOutcome{cands: cands}
	state := ev.Prepare(req.Pod)
	if holds != nil && holds.ExclusiveHeldByOther(state) {
		out.tally = topology.RejectAll(cands, codeClaimInFlight, ErrReasonClaimInFlight)
	} else {
		out.tally = ev.EvaluateNodes(state, cands, parallelism)
		// Fitting nowhere while other pods being scheduled hold capacity:
		// wait for their placements to reach the cache, and look again.
		if holds != nil && out.tally.Fits == 0 && state.HeldByOthers() {
			state, _ = holds.Settle(ctx, func() *topology.PodState { return ev.Prepare(req.Pod) }, settleTimeout)
			out.tally = ev.EvaluateNodes(state, cands, parallelism)
		}
	}
	switch {
	case holds == nil || !state.HasClaims(): // nothing to hold
	case out.tally.Fits > 0:
		holds.Hold(state)
	default:
		holds.Release(state)
	}
	out.setPassed(req)
	return out
}

// setPassed records the nodes that pass in the request's mode.
func (o *filterOutcome) setPassed(req *request) {
	if req.byName() {
		names := make([]string, 0, o.tally.Fits)
		for i := range o.cands {
			if c := &o.cands[i]; c.Fits {
				names = append(names, c.Name)
			}
		}
		o.names = &names
		return
	}
	list := &corev1.NodeList{Items: make([]corev1.Node, 0, o.tally.Fits)}
	for i := range o.cands {
		if c := &o.cands[i]; c.Fits {
			list.Items = append(list.Items, *c.Node)
		}
	}
	o.nodes = list
}
