package topology

// labelIndexed is a snapshot whose node table indexes nodes by label.
type labelIndexed interface {
	nodesMatching(sel *nodeSelector) (set nodeSet, limit int, ok bool)
}

func (s *indexedSnapshot) nodesMatching(sel *nodeSelector) (nodeSet, int, bool) {
	return s.table.labels.matching(sel)
}

// rejection is what a pod's bound volume's node affinity tells about every
// node at once: the nodes it admits, from the label index, and the reason
// of every other node.
type rejection struct {
	admits nodeSet
	limit  int // nodes indexed from limit on are not in admits: unknown
	reason Reason
}

// prepareRejection sets s.rejection when the first check a node fails for
// certain can be told from the label index alone: the pod's first bound
// claim has a PV with node affinity that the index computes, no other bound
// claim has node affinity (whose conflict would share the reason line),
// and nothing fails the pod on every node.
func (e *Evaluator) prepareRejection(s *PodState) {
	li, ok := e.snap.(labelIndexed)
	if !ok || !e.failFast || len(s.PodReasons) > 0 || len(s.bound) == 0 {
		return
	}
	first := s.bound[0]
	if first.pv == nil || first.affinity == nil {
		return
	}
	for _, b := range s.bound[1:] {
		if b.affinity != nil {
			return
		}
	}
	admits, limit, ok := li.nodesMatching(first.affinity)
	if !ok {
		return
	}
	s.rejection = &rejection{
		admits: admits,
		limit:  limit,
		reason: Reason{Code: CodeNodeConflict, Message: ErrReasonNodeConflict, Subjects: []string{first.pv.Name}, Unresolvable: true},
	}
}

// Rejects reports whether a fail-fast evaluation of the pod would reject
// the node with this index (NodeInfo.Index), and with what primary reason,
// when that is known without reading the node: a PV's node affinity, the
// most common reason by far, rejects most candidates, and reading each one
// costs more than the rest of a request. It reports false when the node
// must be evaluated: it fits, fails later checks, or the evaluator is not
// fail-fast (explanations list every reason of a node).
func (e *Evaluator) Rejects(s *PodState, index int) (Reason, bool) {
	r := s.rejection
	if !e.failFast || r == nil || index < 0 || index >= r.limit || r.admits.has(index) {
		return Reason{}, false
	}
	return r.reason, true
}
