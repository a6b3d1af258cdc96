package topology

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
	li, ok := e.cluster.(NodeLabelIndex)
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
	admits, limit, ok := nodesMatching(li, first.affinity)
	if !ok {
		return
	}
	s.rejection = &rejection{
		admits: admits,
		limit:  limit,
		reason: Reason{Code: CodeNodeConflict, Message: ErrReasonNodeConflict, Subjects: []string{first.pv.Name}, Unresolvable: true},
	}
}

// rejectedBy returns the primary reason a fail-fast evaluation of the pod
// would reject the node with this index (NodeInfo.Index) for, when that is
// known without reading the node: a PV's node affinity, the most common
// reason by far, rejects most candidates, and reading each one costs more
// than the rest of a request. It returns nil when the node must be
// evaluated: it fits, fails later checks, or the evaluator is not
// fail-fast (explanations list every reason of a node). The reason is
// shared, not copied: EvaluateNodes asks it of thousands of nodes.
func (e *Evaluator) rejectedBy(s *PodState, index int) *Reason {
	r := s.rejection
	if !e.failFast || r == nil || index < 0 || index >= r.limit || r.admits.has(index) {
		return nil
	}
	return &r.reason
}

// nodeSet is a set of node indexes.
type nodeSet []uint64

func newNodeSet(limit int) nodeSet { return make(nodeSet, (limit+63)/64) }

// has reports whether the set holds index; an index past the set's limit,
// a node newer than the set, is not in it.
func (s nodeSet) has(index int) bool {
	return index>>6 < len(s) && s[index>>6]&(1<<(index&63)) != 0
}

func (s nodeSet) addAll(list []int32) {
	for _, i := range list {
		if int(i)>>6 < len(s) {
			s[i>>6] |= 1 << (i & 63)
		}
	}
}

// nodesMatching returns the nodes that the selector admits, among those the
// label index holds, whose indexes are below the returned limit; and false
// when it cannot tell: a selector with requirements on node names or
// numeric comparisons is tested node by node.
func nodesMatching(li NodeLabelIndex, sel *nodeSelector) (out nodeSet, limit int, ok bool) {
	for _, t := range sel.terms {
		if len(t.names) > 0 {
			return nil, 0, false
		}
		for _, r := range t.labels {
			switch r.op {
			case opIn, opNotIn, opExists, opDoesNotExist:
			default:
				return nil, 0, false
			}
		}
	}
	x := li.NodeLabels()
	defer x.Release()
	limit = x.Limit()
	out = newNodeSet(limit)
	term := newNodeSet(limit)
	req := newNodeSet(limit)
	for _, t := range sel.terms {
		term.addAll(x.All())
		for _, r := range t.labels {
			clear(req)
			switch r.op {
			case opIn, opNotIn:
				for _, v := range r.values {
					req.addAll(x.WithLabel(r.key, v))
				}
			case opExists, opDoesNotExist:
				req.addAll(x.WithKey(r.key))
			}
			negate := r.op == opNotIn || r.op == opDoesNotExist
			for w := range term {
				if negate {
					term[w] &^= req[w]
				} else {
					term[w] &= req[w]
				}
			}
		}
		for w := range out {
			out[w] |= term[w]
		}
		clear(term)
	}
	return out, limit, true
}

// Pinned reports whether the pod's bound volumes pin it to the nodes that
// their node affinity admits, known from the label index alone: a
// fail-fast evaluator then rejects every other node the index holds with
// one unresolvable reason, and PinnedTo tells them apart.
func (e *Evaluator) Pinned(s *PodState) bool { return e.failFast && s.rejection != nil }

// PinnedTo reports whether a node is among the nodes the pod is pinned to
// (Pinned), given its candidate (NodeCandidate): a node the cache does not
// hold, or holds since the pod was prepared, is, since only its evaluation
// can tell.
func (e *Evaluator) PinnedTo(s *PodState, c Candidate) bool {
	return c.Info == nil || e.rejectedBy(s, int(c.index)) == nil
}
