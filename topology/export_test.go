package topology

import corev1 "k8s.io/api/core/v1"

// What the tests of package topology_test check of the hot path's parts.

// Scratch is the memory one node's evaluation works in.
type Scratch = scratch

// EvaluateWith is Evaluate working in sc, as EvaluateNodes does.
func (e *Evaluator) EvaluateWith(s *PodState, node *corev1.Node, sc *Scratch) NodeResult {
	return e.evaluateWith(s, node, sc)
}

// Rejects is the node affinity shortcut that EvaluateNodes takes.
func (e *Evaluator) Rejects(s *PodState, index int) (Reason, bool) {
	if r := e.rejectedBy(s, index); r != nil {
		return *r, true
	}
	return Reason{}, false
}
