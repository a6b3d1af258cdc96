package topology

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// Candidate is a node a caller asks about, with the verdict that
// Evaluator.EvaluateNodes gives the pod on it. ResolveNodes, GivenNodes and
// AllNodes build candidates; ReleaseCandidates recycles them.
//
// The fields are ordered so that a candidate takes 88 bytes: a request of
// thousands reads its candidates several times.
type Candidate struct {
	// Name is the node's name.
	Name string
	// Info is the cache's entry of a node named by a request, nil for a
	// node the cache does not hold and for a node given as an object.
	Info *NodeInfo
	// Node is the node as given (GivenNodes), nil otherwise.
	Node *corev1.Node
	// Result is the whole evaluation (every reason with its details, the
	// score's components) when the evaluator gives details
	// (Evaluator.WithDetails), nil otherwise.
	Result *NodeResult
	// index is Info's NodeInfo.Index as the node table's name index holds
	// it (reading it from Info would read Info's memory), -1 without Info.
	index int32
	// Fits, Unresolvable, Score, Code and Message are the verdict. Code
	// and Message are the primary reason of a node that does not fit
	// (Reasons.Primary), Message the line kube-scheduler shows for it.
	Fits, Unresolvable bool
	Score              int64
	Code               Code
	Message            string
}

// fit records that the pod fits the node, with its score.
func (c *Candidate) fit(score int64, result *NodeResult) {
	c.Fits, c.Unresolvable, c.Score, c.Code, c.Message, c.Result = true, false, score, "", "", result
}

// reject records that the pod does not fit the node, for a primary reason
// of this code and line.
func (c *Candidate) reject(code Code, message string, unresolvable bool, result *NodeResult) {
	c.Fits, c.Unresolvable, c.Score, c.Code, c.Message, c.Result = false, unresolvable, 0, code, message, result
}

// candidatePool recycles the candidate slices of large requests.
var candidatePool = sync.Pool{New: func() any { return new([]Candidate) }}

// maxPooledCandidates caps the slices kept for reuse.
const maxPooledCandidates = 1 << 16

// getCandidates returns an empty slice with room for n candidates.
func getCandidates(n int) []Candidate {
	p := candidatePool.Get().(*[]Candidate)
	if cap(*p) < n {
		return make([]Candidate, 0, n)
	}
	return (*p)[:0]
}

// ReleaseCandidates returns candidates for reuse, once nothing reads them
// any more (a request's answer is written).
func ReleaseCandidates(c []Candidate) {
	if c == nil || cap(c) > maxPooledCandidates {
		return
	}
	clear(c[:cap(c)]) // drop the references to nodes
	c = c[:0]
	candidatePool.Put(&c)
}
