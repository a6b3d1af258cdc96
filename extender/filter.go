package extender

import (
	"context"
	"slices"
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
	// cands are the candidates with their verdicts; failed and
	// unresolvable count those that do not fit.
	cands                []candidate
	failed, unresolvable int
	rejected             map[topology.Code]int
}

// settleTimeout bounds how long a filter request waits for the placements of
// pods being scheduled to reach the cache (topology.Holds.Settle): far less
// than kube-scheduler's extender timeout, far more than a binding takes.
const settleTimeout = time.Second

// filter evaluates the pod on the request's nodes. With holds, a pod that
// passes on some node holds what it needs until the API shows where it went,
// and a pod whose single-node claims another pod holds is sent back.
func filter(ctx context.Context, ev *topology.Evaluator, holds *topology.Holds, req *request, parallelism int) *filterOutcome {
	out := &filterOutcome{rejected: map[topology.Code]int{}, cands: req.candidates()}
	if !topology.HasClaims(req.Pod) {
		for i := range out.cands {
			out.cands[i].fits = true // volplace has nothing to check
		}
		out.setPassed(req, len(out.cands))
		return out
	}
	state := ev.Prepare(req.Pod)
	if holds != nil && holds.ExclusiveHeldByOther(state) {
		for i := range out.cands {
			out.cands[i].message, out.cands[i].code = ErrReasonClaimInFlight, codeClaimInFlight
		}
	} else {
		evaluate(ev, state, out.cands, parallelism)
		// Fitting nowhere while other pods being scheduled hold capacity:
		// wait for their placements to reach the cache, and look again.
		if holds != nil && state.HeldByOthers() && !slices.ContainsFunc(out.cands, func(c candidate) bool { return c.fits }) {
			state, _ = holds.Settle(ctx, func() *topology.PodState { return ev.Prepare(req.Pod) }, settleTimeout)
			for i := range out.cands {
				out.cands[i].resetVerdict()
			}
			evaluate(ev, state, out.cands, parallelism)
		}
	}
	passed := 0
	// Runs of nodes rejected for the same reason are counted before they
	// go to the map.
	var run topology.Code
	runLength := 0
	for i := range out.cands {
		c := &out.cands[i]
		switch {
		case c.fits:
			passed++
			continue
		case c.message == "": // not evaluated: unknown to the cache
			c.message, c.code = ErrReasonNodeUnknown, codeNodeUnknown
		}
		if c.unresolvable {
			out.unresolvable++
		} else {
			out.failed++
		}
		if c.code != run {
			if runLength > 0 {
				out.rejected[run] += runLength
			}
			run, runLength = c.code, 0
		}
		runLength++
	}
	if runLength > 0 {
		out.rejected[run] += runLength
	}
	switch {
	case holds == nil:
	case passed > 0:
		holds.Hold(state)
	default:
		holds.Release(state)
	}
	out.setPassed(req, passed)
	return out
}

// setPassed records the nodes that pass in the request's mode.
func (o *filterOutcome) setPassed(req *request, passed int) {
	if req.byName() {
		names := make([]string, 0, passed)
		for _, c := range o.cands {
			if c.fits {
				names = append(names, c.name)
			}
		}
		o.names = &names
		return
	}
	list := &corev1.NodeList{Items: make([]corev1.Node, 0, passed)}
	for _, c := range o.cands {
		if c.fits {
			list.Items = append(list.Items, *c.node)
		}
	}
	o.nodes = list
}
