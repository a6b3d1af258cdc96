package extender

import (
	"sync"

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
	// node is nil when volplace does not know the node.
	node *corev1.Node
	// fits, unresolvable, code and message are the verdict: code and
	// message are the primary reason of a node that does not fit, message
	// the line kube-scheduler shows for it.
	fits, unresolvable bool
	score              int64
	code               topology.Code
	message            string
}

// candidates returns the request's nodes, without duplicates, as named in
// NodeNames mode (to be looked up in the cache by evaluate) or as sent in
// Nodes mode.
func candidates(names *[]string, nodes *corev1.NodeList) []candidate {
	if names != nil {
		out := make([]candidate, 0, len(*names))
		seen := make(map[string]struct{}, len(*names))
		for _, name := range *names {
			if _, dup := seen[name]; dup {
				continue
			}
			seen[name] = struct{}{}
			out = append(out, candidate{name: name})
		}
		return out
	}
	out := make([]candidate, 0, len(nodes.Items))
	seen := make(map[string]struct{}, len(nodes.Items))
	for i := range nodes.Items {
		node := &nodes.Items[i]
		if _, dup := seen[node.Name]; dup {
			continue
		}
		seen[node.Name] = struct{}{}
		out = append(out, candidate{name: node.Name, node: node})
	}
	return out
}

// evaluate gives every candidate its verdict, splitting them over up to
// parallelism goroutines as kube-scheduler splits its own filters. With
// lookup, candidates are looked up in the cache first; those it does not
// hold keep a nil node. A nil state (a pod without claims) fits every
// known node.
func evaluate(ev *topology.Evaluator, state *topology.PodState, cands []candidate, lookup bool, parallelism int) {
	workers := min(max(parallelism, 1), max(len(cands)/minNodesPerWorker, 1))
	if workers == 1 {
		evaluateRange(ev, state, cands, lookup)
		return
	}
	var wg sync.WaitGroup
	per := (len(cands) + workers - 1) / workers
	for lo := 0; lo < len(cands); lo += per {
		part := cands[lo:min(lo+per, len(cands))]
		wg.Go(func() { evaluateRange(ev, state, part, lookup) })
	}
	wg.Wait()
}

// evaluateRange evaluates one worker's share in one Scratch, building each
// distinct reason line once.
func evaluateRange(ev *topology.Evaluator, state *topology.PodState, cands []candidate, lookup bool) {
	var sc topology.Scratch
	messages := reasonMessages{}
	snap := ev.Snapshot()
	for i := range cands {
		c := &cands[i]
		if lookup {
			c.node, _ = snap.Node(c.name)
		}
		if c.node == nil {
			continue
		}
		if state == nil {
			c.fits = true
			continue
		}
		res := ev.EvaluateWith(state, c.node, &sc)
		if res.Fits() {
			c.fits, c.score = true, res.Score
			continue
		}
		primary := res.Reasons.Primary()
		c.unresolvable, c.code, c.message = primary.Unresolvable, primary.Code, messages.of(primary)
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
