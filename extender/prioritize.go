package extender

import (
	corev1 "k8s.io/api/core/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// prioritize scores the pod's candidates 0..10; nodes where the pod does
// not fit, or that volplace does not know, score 0.
func prioritize(ev *topology.Evaluator, pod *corev1.Pod, cands []topology.Candidate, parallelism int) extenderv1.HostPriorityList {
	ev.EvaluateNodes(ev.Prepare(pod), cands, parallelism)
	list := make(extenderv1.HostPriorityList, len(cands))
	for i := range cands {
		c := &cands[i]
		list[i] = extenderv1.HostPriority{Host: c.Name, Score: c.Score}
	}
	return list
}
