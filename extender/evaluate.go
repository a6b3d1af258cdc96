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
	// info is the cache's entry in NodeNames mode; node is info.Node, or the
	// node as sent in Nodes mode. Both are nil for a node volplace does not
	// know.
	info *topology.NodeInfo
	node *corev1.Node
	// fits, unresolvable, code and message are the verdict: code and
	// message are the primary reason of a node that does not fit, message
	// the line kube-scheduler shows for it.
	fits, unresolvable bool
	score              int64
	code               topology.Code
	message            string
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
// distinct reason line once.
func evaluateRange(ev *topology.Evaluator, state *topology.PodState, cands []candidate) {
	var sc topology.Scratch
	messages := reasonMessages{}
	for i := range cands {
		if i%touchBatch == 0 {
			touch(cands[i:min(i+touchBatch, len(cands))])
		}
		c := &cands[i]
		var res topology.NodeResult
		switch {
		case c.info != nil:
			res = ev.EvaluateInfo(state, c.info, &sc)
		case c.node != nil:
			res = ev.EvaluateWith(state, c.node, &sc)
		default:
			continue
		}
		if res.Fits() {
			c.fits, c.score = true, res.Score
			continue
		}
		primary := res.Reasons.Primary()
		c.unresolvable, c.code, c.message = primary.Unresolvable, primary.Code, messages.of(primary)
	}
}

// touchBatch is how many candidates evaluateRange touches ahead of
// evaluating them: enough for the CPU to fetch their memory in parallel,
// few enough that it is still in the fastest caches when they are
// evaluated.
const touchBatch = 32

// touchSink keeps touch's loads from being optimized away.
var touchSink atomic.Int64

// touch brings the cache's memory for each candidate into the CPU caches
// (topology.NodeInfo.Touch).
func touch(cands []candidate) {
	sum := 0
	for i := range cands {
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
