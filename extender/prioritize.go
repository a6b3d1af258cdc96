package extender

import (
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// prioritize scores the request's nodes 0..10; nodes where the pod does not
// fit, or that volplace does not know, score 0.
func prioritize(ev *topology.Evaluator, args *extenderv1.ExtenderArgs) extenderv1.HostPriorityList {
	cands := candidates(ev.Snapshot(), args)
	list := make(extenderv1.HostPriorityList, len(cands))
	hasClaims := topology.HasClaims(args.Pod)
	var state *topology.PodState
	if hasClaims {
		state = ev.Prepare(args.Pod)
	}
	for i, c := range cands {
		list[i].Host = c.name
		if !hasClaims || c.node == nil {
			continue
		}
		res := ev.Evaluate(state, c.node)
		list[i].Score = res.Score
	}
	return list
}
