package extender

import (
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// prioritize scores the request's nodes 0..10; nodes where the pod does not
// fit, or that volplace does not know, score 0.
func prioritize(ev *topology.Evaluator, req *request, parallelism int) extenderv1.HostPriorityList {
	cands := req.candidates()
	defer releaseCandidates(cands)
	list := make(extenderv1.HostPriorityList, len(cands))
	if topology.HasClaims(req.Pod) {
		evaluate(ev, ev.Prepare(req.Pod), cands, parallelism)
	}
	for i, c := range cands {
		list[i] = extenderv1.HostPriority{Host: c.name, Score: c.score}
	}
	return list
}
