package extender

import (
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
)

// minNodesPerWorker is the fewest nodes worth a goroutine of their own:
// evaluating a node takes about a microsecond, starting a goroutine about
// as much.
const minNodesPerWorker = 256

// candidate is a node kube-scheduler asks about, with volplace's verdict.
type candidate struct {
	name string
	// info is the cache's entry in NodeNames mode, nil for a node volplace
	// does not know; node is the node as sent in Nodes mode.
	info *topology.NodeInfo
	node *corev1.Node
	// index is info's NodeInfo.Index, read from the node table's name
	// index, -1 without info.
	index int
	// fits, unresolvable, code and message are the verdict: code and
	// message are the primary reason of a node that does not fit, message
	// the line kube-scheduler shows for it.
	fits, unresolvable bool
	score              int64
	code               topology.Code
	message            string
}

// resetVerdict clears the candidate's verdict for another evaluation.
func (c *candidate) resetVerdict() {
	c.fits, c.unresolvable, c.score, c.code, c.message = false, false, 0, "", ""
}

// evaluate gives every known candidate its verdict, splitting them over up
// to parallelism goroutines as kube-scheduler splits its own filters.
func evaluate(ev *topology.Evaluator, state *topology.PodState, cands []candidate, parallelism int) {
	workers := min(max(parallelism, 1), max(len(cands)/minNodesPerWorker, 1))
	if workers == 1 {
		evaluateRange(ev, state, cands)
		return
	}
	var wg sync.WaitGroup
	per := (len(cands) + workers - 1) / workers
	for lo := 0; lo < len(cands); lo += per {
		part := cands[lo:min(lo+per, len(cands))]
		wg.Go(func() { evaluateRange(ev, state, part) })
	}
	wg.Wait()
}

// evaluateRange evaluates one worker's share in one Scratch, building each
// distinct reason line once. Nodes that the evaluator rejects by their
// index alone (topology.Evaluator.Rejects) are not read; the others are
// read in batches, touched before they are evaluated (touch).
func evaluateRange(ev *topology.Evaluator, state *topology.PodState, cands []candidate) {
	var sc topology.Scratch
	messages := reasonMessages{}
	var batch [touchBatch]int // the candidates to evaluate, by position
	for next := 0; next < len(cands); {
		k := 0
		for ; next < len(cands) && k < len(batch); next++ {
			c := &cands[next]
			switch {
			case c.info != nil:
				if r, ok := ev.Rejects(state, c.index); ok {
					c.unresolvable, c.code, c.message = r.Unresolvable, r.Code, messages.of(r)
					continue
				}
			case c.node == nil:
				continue // unknown to the cache
			}
			batch[k] = next
			k++
		}
		touch(cands, batch[:k])
		for _, i := range batch[:k] {
			c := &cands[i]
			var res topology.NodeResult
			if c.info != nil {
				res = ev.EvaluateInfo(state, c.info, &sc)
			} else {
				res = ev.EvaluateWith(state, c.node, &sc)
			}
			if res.Fits() {
				c.fits, c.score = true, res.Score
				continue
			}
			primary := res.Reasons.Primary()
			c.unresolvable, c.code, c.message = primary.Unresolvable, primary.Code, messages.of(primary)
		}
	}
}

// touchBatch is how many candidates evaluateRange touches ahead of
// evaluating them: enough for the CPU to fetch their memory in parallel,
// few enough that it is still in the fastest caches when they are
// evaluated.
const touchBatch = 32

// touchSink keeps touch's loads from being optimized away.
var touchSink atomic.Int64

// touch brings the cache's memory for the candidates at the positions of
// batch into the CPU caches (topology.NodeInfo.Touch).
func touch(cands []candidate, batch []int) {
	sum := 0
	for _, i := range batch {
		if info := cands[i].info; info != nil {
			sum += info.Touch()
		}
	}
	if sum == -1 {
		touchSink.Add(1)
	}
}

// reasonMessages builds each distinct reason line once: most failing nodes
// fail the same way, and a request may name thousands.
type reasonMessages map[reasonKey]string

type reasonKey struct{ message, subject string }

func (m reasonMessages) of(r topology.Reason) string {
	if len(r.Subjects) > 1 {
		return r.String()
	}
	k := reasonKey{message: r.Message}
	if len(r.Subjects) == 1 {
		k.subject = r.Subjects[0]
	}
	s, ok := m[k]
	if !ok {
		s = r.String()
		m[k] = s
	}
	return s
}
