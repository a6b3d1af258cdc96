package topology

import (
	"slices"
	"strings"
)

// Tally counts the verdicts of an evaluation's candidates
// (Evaluator.EvaluateNodes).
type Tally struct {
	// Fits counts the candidates the pod fits; Failed those it does not
	// fit where preempting pods may help, Unresolvable those where it
	// cannot.
	Fits, Failed, Unresolvable int
	// Rejected counts the candidates the pod does not fit by their primary
	// reason's line, sorted by line: what kube-scheduler totals in its
	// FailedScheduling event.
	Rejected []RejectCount
}

// RejectCount is how many candidates one primary reason line rejects.
type RejectCount struct {
	Code    Code
	Message string
	Nodes   int
}

// tallier builds a Tally as verdicts are given, without allocating while a
// pod fails in at most a few ways.
type tallier struct {
	fits, failed, unresolvable int
	// lines counts the reason lines: the first ones in buf, the others,
	// rare, in more.
	lines int
	buf   [4]RejectCount
	more  []RejectCount
}

// count adds the verdicts just given to cands. Runs of candidates rejected
// for the same reason, the rule, are counted before they are added.
func (t *tallier) count(cands []Candidate) {
	fits, failed, unresolvable := 0, 0, 0
	var run *Candidate // the first of the run
	length := 0
	for i := range cands {
		c := &cands[i]
		switch {
		case c.Fits:
			fits++
			continue
		case c.Unresolvable:
			unresolvable++
		default:
			failed++
		}
		if run != nil && c.Message == run.Message {
			length++
			continue
		}
		if run != nil {
			t.reject(run.Code, run.Message, length)
		}
		run, length = c, 1
	}
	if run != nil {
		t.reject(run.Code, run.Message, length)
	}
	t.fits += fits
	t.failed += failed
	t.unresolvable += unresolvable
}

// line returns the i-th reason line's count.
func (t *tallier) line(i int) *RejectCount {
	if i < len(t.buf) {
		return &t.buf[i]
	}
	return &t.more[i-len(t.buf)]
}

// reject adds n candidates rejected for a reason line.
func (t *tallier) reject(code Code, message string, n int) {
	for i := range t.lines {
		if r := t.line(i); r.Message == message {
			r.Nodes += n
			return
		}
	}
	r := RejectCount{Code: code, Message: message, Nodes: n}
	if t.lines < len(t.buf) {
		t.buf[t.lines] = r
	} else {
		t.more = append(t.more, r)
	}
	t.lines++
}

// add adds the counts of another part of the candidates, which follows
// the parts counted so far.
func (t *tallier) add(o *tallier) {
	t.fits += o.fits
	t.failed += o.failed
	t.unresolvable += o.unresolvable
	for i := range o.lines {
		r := o.line(i)
		t.reject(r.Code, r.Message, r.Nodes)
	}
}

// tally returns the counts.
func (t *tallier) tally() Tally {
	out := Tally{Fits: t.fits, Failed: t.failed, Unresolvable: t.unresolvable}
	if t.lines > 0 {
		out.Rejected = make([]RejectCount, 0, t.lines)
		out.Rejected = append(append(out.Rejected, t.buf[:min(t.lines, len(t.buf))]...), t.more...)
		slices.SortFunc(out.Rejected, func(a, b RejectCount) int { return strings.Compare(a.Message, b.Message) })
	}
	return out
}

// RejectAll gives every candidate the same verdict, a failure where
// preempting pods may help, with this primary reason, and tallies them:
// for a pod that a caller sends back before evaluating it on any node.
func RejectAll(cands []Candidate, code Code, message string) Tally {
	for i := range cands {
		cands[i].reject(code, message, false, nil)
	}
	var t tallier
	t.count(cands)
	return t.tally()
}
