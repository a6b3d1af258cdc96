package topology

import (
	"sync"
	"sync/atomic"
)

// minNodesPerWorker is the fewest nodes worth a goroutine of their own:
// evaluating a node takes about a microsecond, starting a goroutine about
// as much.
const minNodesPerWorker = 256

// EvaluateNodes gives every candidate the pod's verdict on it, replacing
// any verdict it had, and tallies them: the one evaluation of a pod on many
// nodes, which the extender, the simulator and explanations share.
//
// A pod without claims (HasClaims) fits every candidate with score 0. A
// candidate the cache does not hold fails, resolvably, with
// ErrReasonNodeUnknown. The candidates are split over up to parallelism
// goroutines, as kube-scheduler splits its own filters; within one, they
// are evaluated in one scratch, without allocating per candidate, unless
// the evaluator gives details (WithDetails): each candidate then also gets
// its whole Result.
func (e *Evaluator) EvaluateNodes(s *PodState, cands []Candidate, parallelism int) Tally {
	if s.claimless {
		return e.fitAll(cands)
	}
	workers := min(max(parallelism, 1), max(len(cands)/minNodesPerWorker, 1))
	if workers == 1 {
		var t tallier
		e.evaluateRange(s, cands, &t)
		return t.tally()
	}
	// The first part is evaluated here, the others in goroutines of their
	// own, each counting on its own stack: counts of the parts side by
	// side would share cache lines.
	parts := make([]tallier, workers)
	per := (len(cands) + workers - 1) / workers
	var wg sync.WaitGroup
	for w, lo := 1, per; lo < len(cands); w, lo = w+1, lo+per {
		part, counts := cands[lo:min(lo+per, len(cands))], &parts[w]
		wg.Go(func() {
			var t tallier
			e.evaluateRange(s, part, &t)
			*counts = t
		})
	}
	e.evaluateRange(s, cands[:per], &parts[0])
	wg.Wait()
	for i := 1; i < len(parts); i++ {
		parts[0].add(&parts[i])
	}
	return parts[0].tally()
}

// fitAll gives every candidate the verdict of a pod without claims.
func (e *Evaluator) fitAll(cands []Candidate) Tally {
	for i := range cands {
		c := &cands[i]
		var result *NodeResult
		if e.details {
			result = &NodeResult{Node: c.Name}
		}
		c.fit(0, result)
	}
	return Tally{Fits: len(cands)}
}

// evaluateRange evaluates one goroutine's share in one scratch, building
// each distinct reason line once, and counts the verdicts in t, a batch at
// a time while the batch's candidates are in the fastest caches. Nodes that
// the evaluator rejects by their index alone (rejectedBy) are not read; the
// others are read in batches, touched before they are evaluated (touch).
func (e *Evaluator) evaluateRange(s *PodState, cands []Candidate, t *tallier) {
	var sc scratch
	lines := reasonLines{}
	// Explanations read every candidate: their Result lists every reason.
	shortcut := !e.details
	// The nodes rejected by index share one reason, whose line is looked
	// up once.
	var byIndex *Reason
	var byIndexLine string
	var batch [touchBatch]int // the candidates to evaluate, by position
	for next := 0; next < len(cands); {
		first, k := next, 0
		for ; next < len(cands) && k < len(batch); next++ {
			c := &cands[next]
			switch {
			case c.Info == nil && c.Node == nil:
				e.rejectUnknown(c)
				continue
			case c.Info != nil && shortcut:
				if r := e.rejectedBy(s, int(c.index)); r != nil {
					if r != byIndex {
						byIndex, byIndexLine = r, lines.of(r)
					}
					c.reject(r.Code, byIndexLine, r.Unresolvable, nil)
					continue
				}
			}
			batch[k] = next
			k++
		}
		touch(cands, batch[:k])
		for _, i := range batch[:k] {
			c := &cands[i]
			var res NodeResult
			if c.Info != nil {
				res = e.evaluateInfo(s, c.Info, &sc)
			} else {
				res = e.evaluateWith(s, c.Node, &sc)
			}
			var result *NodeResult
			if e.details {
				result = res.detach()
			}
			if res.Fits() {
				c.fit(res.Score, result)
				continue
			}
			primary := res.Reasons.Primary()
			c.reject(primary.Code, lines.of(&primary), primary.Unresolvable, result)
		}
		t.count(cands[first:next])
	}
}

// rejectUnknown gives the verdict on a node named that the cache does not
// hold.
func (e *Evaluator) rejectUnknown(c *Candidate) {
	var result *NodeResult
	if e.details {
		result = &NodeResult{Node: c.Name, Reasons: Reasons{{Code: CodeNodeUnknown, Message: ErrReasonNodeUnknown}}}
	}
	c.reject(CodeNodeUnknown, ErrReasonNodeUnknown, false, result)
}

// touchSink is where touch leaves its sum, so that the compiler keeps its
// loads.
var touchSink atomic.Uint64

// touchBatch is how many candidates evaluateRange touches ahead of
// evaluating them: enough for the CPU to fetch their memory in parallel,
// few enough that it is still in the fastest caches when they are
// evaluated.
const touchBatch = 32

// touch brings the cache's memory for the candidates at the positions of
// batch into the CPU caches (NodeInfo.touch).
func touch(cands []Candidate, batch []int) {
	sum := 0
	for _, i := range batch {
		if info := cands[i].Info; info != nil {
			sum += info.touch()
		}
	}
	if sum == -1 { // keeps the loads (touchSink)
		touchSink.Add(1)
	}
}
