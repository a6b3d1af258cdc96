package topology

import (
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// MaxScore is the highest score of a node, kube-scheduler's
// MaxExtenderPriority.
const MaxScore = 10

// Evaluator applies the rules to pods and nodes of a Cluster. It is safe for
// concurrent use.
type Evaluator struct {
	cluster    Cluster
	opts       Options
	details    bool
	failFast   bool
	messages   *sync.Map // CSI driver name -> its CSIDriverNotInstalled message
	affinities *affinityCache
	holds      *Holds // nil: no in-memory holds
	clock      func() time.Time
}

// NewEvaluator returns an Evaluator over cluster.
func NewEvaluator(cluster Cluster, opts Options) *Evaluator {
	return &Evaluator{cluster: cluster, opts: opts, messages: &sync.Map{}, affinities: newAffinityCache(), clock: time.Now}
}

// WithHolds returns an evaluator that counts what pods being scheduled hold
// in h against capacity.
func (e *Evaluator) WithHolds(h *Holds) *Evaluator {
	c := *e
	c.holds = h
	return &c
}

// WithClock returns an evaluator that reads the time from now, which
// decides how long provisioned volumes count against capacity.
func (e *Evaluator) WithClock(now func() time.Time) *Evaluator {
	c := *e
	c.clock = now
	return &c
}

// Holds returns the holds the evaluator counts, or nil.
func (e *Evaluator) Holds() *Holds { return e.holds }

// WithDetails returns an evaluator that also explains, in Reason.Detail and
// ScoreComponent.Detail, the per-node figures behind each result. They cost
// time, so the extender's hot path leaves them off.
func (e *Evaluator) WithDetails() *Evaluator {
	c := *e
	c.details = true
	return &c
}

// FailFast returns an evaluator that stops checking a node at its first
// unresolvable reason, as a kube-scheduler plugin stops at its first
// failure. The node still fails, Primary still returns the same reason, and
// the verdict (fits, fails, fails unresolvably) is unchanged: only the
// reasons after the first unresolvable one are left out. The extender's
// filter uses it; explanations, which list every reason, do not.
func (e *Evaluator) FailFast() *Evaluator {
	c := *e
	c.failFast = true
	return &c
}

// Cluster returns the cluster the evaluator reads.
func (e *Evaluator) Cluster() Cluster { return e.cluster }

// NodeResult is the outcome for one pod on one node.
type NodeResult struct {
	Node string
	// Reasons is empty when the pod's volumes fit the node.
	Reasons Reasons
	// Score is 0..MaxScore, and 0 when the pod does not fit.
	Score int64
	// Components are the score's parts, for explain output.
	Components []ScoreComponent
}

// Fits reports whether the pod's volumes fit the node.
func (r *NodeResult) Fits() bool { return len(r.Reasons) == 0 }

// detach returns a copy of the result that shares no memory with the
// scratch it was evaluated in.
func (r *NodeResult) detach() *NodeResult {
	out := &NodeResult{Node: r.Node, Score: r.Score, Components: slices.Clone(r.Components)}
	if len(r.Reasons) > 0 {
		out.Reasons = make(Reasons, len(r.Reasons))
		for i, reason := range r.Reasons {
			reason.Subjects = slices.Clone(reason.Subjects)
			reason.Detail = slices.Clone(reason.Detail)
			out.Reasons[i] = reason
		}
	}
	return out
}

// nodeState is what the rules share while evaluating one node.
type nodeState struct {
	node    *nodeView
	reasons Reasons
	details bool

	// drivers are the CSI drivers the pod's volumes need on this node.
	drivers []string
	// provisioned are the delayed claims to provision on this node, with the
	// segment chosen for each (nil without capacity tracking).
	provisioned []provisioned
	// attach holds per-driver attach counts, for scoring.
	attach []attachCount

	// Backing arrays for the slices above: most pods need few entries, and
	// a node's evaluation then allocates once.
	driversBuf     [4]string
	provisionedBuf [4]provisioned
	segmentsBuf    [4]*segment
	attachBuf      [4]attachCount
	partsBuf       [3]ScoreComponent
	reasonsBuf     [4]Reason
	subjectsBuf    [8]string
	subjects       int // used entries of subjectsBuf
}

// scratch is the memory one node's evaluation works in. Reusing one scratch
// for many nodes makes evaluating them allocation-free. A scratch is not
// safe for concurrent use.
type scratch struct {
	n nodeState
	// view is the view of a node given as an object, built anew for each.
	view nodeView
}

type provisioned struct {
	claim   *delayedClaim
	segment *segment
	// free is what the segment has for this pod: its reported capacity
	// less what other placements took (-1 when it reports no capacity).
	free int64
}

// fail records a reason; detail, when not nil, explains it for this node
// and is called only when the evaluator gives details.
func (n *nodeState) fail(code Code, message, subject string, unresolvable bool, detail func() string) {
	d := ""
	if n.details && detail != nil {
		d = detail()
	}
	// A new reason takes its first subject from the scratch's buffer.
	if subject != "" && n.subjects < len(n.subjectsBuf) &&
		!slices.ContainsFunc(n.reasons, func(r Reason) bool { return r.Message == message }) {
		subjects := n.subjectsBuf[n.subjects : n.subjects+1 : n.subjects+1]
		n.subjects++
		subjects[0] = subject
		n.reasons = append(n.reasons, Reason{Code: code, Message: message, Subjects: subjects, Unresolvable: unresolvable})
		subject = ""
	}
	n.reasons.add(code, message, subject, d, unresolvable)
}

// done reports whether a fail-fast evaluation can stop.
func (n *nodeState) done(failFast bool) bool {
	return failFast && n.reasons.Unresolvable()
}

func (n *nodeState) addDriver(driver string) {
	for _, d := range n.drivers {
		if d == driver {
			return
		}
	}
	n.drivers = append(n.drivers, driver)
}

// Evaluate checks whether the pod's volumes fit the node and scores it.
func (e *Evaluator) Evaluate(s *PodState, node *corev1.Node) NodeResult {
	return e.evaluateWith(s, node, &scratch{})
}

// evaluateWith is Evaluate working in sc, without allocating: the result's
// Reasons and Components live in sc and are valid until sc is used again.
func (e *Evaluator) evaluateWith(s *PodState, node *corev1.Node, sc *scratch) NodeResult {
	csiNode, _ := e.cluster.CSINode(node.Name)
	sc.view.reset(node, csiNode)
	return e.evaluate(s, &sc.view, sc)
}

// evaluateInfo is evaluateWith for a node of the cluster's node table,
// whose CSINode it already holds.
func (e *Evaluator) evaluateInfo(s *PodState, info *NodeInfo, sc *scratch) NodeResult {
	return e.evaluate(s, &info.view, sc)
}

func (e *Evaluator) evaluate(s *PodState, node *nodeView, sc *scratch) NodeResult {
	if s.PodReasons.Unresolvable() {
		return NodeResult{Node: node.name, Reasons: s.PodReasons}
	}
	n := &sc.n
	*n = nodeState{node: node, details: e.details}
	n.drivers, n.provisioned, n.attach = n.driversBuf[:0], n.provisionedBuf[:0], n.attachBuf[:0]
	n.reasons = append(n.reasonsBuf[:0], s.PodReasons...)
	if !s.HasClaims() {
		return NodeResult{Node: node.name, Reasons: n.reasons}
	}
	for _, check := range [...]func(*PodState, *nodeState){e.checkBound, e.checkDelayed, e.checkDrivers, e.checkAttachLimits} {
		if n.done(e.failFast) {
			break
		}
		check(s, n)
	}
	result := NodeResult{Node: node.name, Reasons: n.reasons}
	if result.Fits() {
		result.Score, result.Components = e.score(s, n)
		if !e.details {
			result.Components = nil // only explanations show them
		}
	}
	return result
}
