package simulate

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
)

// PodReport is the evaluation of one pod against every node: the split
// the extender sends kube-scheduler (feasible, failed and unresolvable
// nodes with their primary reason, scores), and everything the wide table
// shows (every reason with its code and figures, score components, the
// FailedScheduling summary).
type PodReport struct {
	Pod               string            `json:"pod"`
	FeasibleNodes     []string          `json:"feasibleNodes"`
	FailedNodes       map[string]string `json:"failedNodes"`
	UnresolvableNodes map[string]string `json:"unresolvableNodes"`
	Scores            map[string]int64  `json:"scores"`
	// Summary is the line kube-scheduler would write in the pod's
	// FailedScheduling event.
	Summary string `json:"summary"`
	// PodReasons fail the pod on every node (a claim that does not exist).
	PodReasons []ReasonReport `json:"podReasons,omitempty"`
	// Nodes are the nodes in name order.
	Nodes []NodeReport `json:"nodes"`

	podReasons topology.Reasons
	tally      topology.Tally
}

// NodeReport is the pod's evaluation on one node.
type NodeReport struct {
	Node string `json:"node"`
	Fits bool   `json:"fits"`
	// Score is 0..10 on a node that fits.
	Score int64 `json:"score"`
	// Components are the parts of the score; ScoreNote says why there are
	// none.
	Components []ComponentReport `json:"components,omitempty"`
	ScoreNote  string            `json:"scoreNote,omitempty"`
	// Unresolvable is true when preempting pods on the node cannot help.
	Unresolvable bool           `json:"unresolvable,omitempty"`
	Reasons      []ReasonReport `json:"reasons,omitempty"`
}

// ReasonReport is one reason a pod does not fit a node.
type ReasonReport struct {
	Code topology.Code `json:"code"`
	// Reason is the text kube-scheduler shows: the fixed message and its
	// subjects.
	Reason       string   `json:"reason"`
	Subjects     []string `json:"subjects,omitempty"`
	Detail       []string `json:"detail,omitempty"`
	Unresolvable bool     `json:"unresolvable,omitempty"`
}

// line is the reason with its figures, on one line.
func (r ReasonReport) line() string {
	if len(r.Detail) == 0 {
		return r.Reason
	}
	return r.Reason + ": " + strings.Join(r.Detail, "; ")
}

// ComponentReport is one part of a node's score.
type ComponentReport struct {
	Name   string `json:"name"`
	Score  int64  `json:"score"`
	Weight int64  `json:"weight"`
	Detail string `json:"detail,omitempty"`
}

// noComponents explains a score of 0 with no components.
const noComponents = "no preference: no scoring component applies to the pod's volumes (none in use on other nodes, none to provision against reported capacity, none under an attach limit); see docs/scoring.md"

func newReasonReports(rs topology.Reasons) []ReasonReport {
	out := make([]ReasonReport, 0, len(rs))
	for _, r := range rs {
		out = append(out, ReasonReport{Code: r.Code, Reason: r.String(), Subjects: r.Subjects, Detail: r.Detail, Unresolvable: r.Unresolvable})
	}
	return out
}

func newNodeReport(res *topology.NodeResult) NodeReport {
	n := NodeReport{Node: res.Node, Fits: res.Fits(), Unresolvable: res.Reasons.Unresolvable()}
	if !n.Fits {
		n.Reasons = newReasonReports(res.Reasons)
		return n
	}
	n.Score = res.Score
	for _, c := range res.Components {
		n.Components = append(n.Components, ComponentReport{Name: c.Name, Score: c.Score, Weight: c.Weight, Detail: c.Detail})
	}
	if len(n.Components) == 0 {
		n.ScoreNote = noComponents
	}
	return n
}

// Evaluate evaluates the pod on every node of the evaluator's cluster, in
// name order, with every reason's details whether ev gives them or not.
func Evaluate(ev *topology.Evaluator, pod *corev1.Pod) *PodReport {
	ev = ev.WithDetails()
	state := ev.Prepare(pod)
	cands := topology.AllNodes(ev.Cluster())
	defer topology.ReleaseCandidates(cands)
	r := &PodReport{
		Pod:               pod.Namespace + "/" + pod.Name,
		FeasibleNodes:     []string{},
		FailedNodes:       map[string]string{},
		UnresolvableNodes: map[string]string{},
		Scores:            map[string]int64{},
		podReasons:        state.PodReasons,
		tally:             ev.EvaluateNodes(state, cands, runtime.GOMAXPROCS(0)),
		Nodes:             make([]NodeReport, 0, len(cands)),
	}
	if len(state.PodReasons) > 0 {
		r.PodReasons = newReasonReports(state.PodReasons)
	}
	for i := range cands {
		c := &cands[i]
		r.Nodes = append(r.Nodes, newNodeReport(c.Result))
		switch {
		case c.Fits:
			r.FeasibleNodes = append(r.FeasibleNodes, c.Name)
			r.Scores[c.Name] = c.Score
		case c.Unresolvable:
			r.UnresolvableNodes[c.Name] = c.Message
		default:
			r.FailedNodes[c.Name] = c.Message
		}
	}
	r.Summary = r.summary()
	return r
}

// summary is the line kube-scheduler would write in a FailedScheduling
// event when volplace is its extender: each node's primary reason with the
// number of nodes it rejected, sorted.
func (r *PodReport) summary() string {
	total := len(r.Nodes)
	if r.podReasons.Unresolvable() {
		return fmt.Sprintf("0/%d nodes are available: %s.", total, r.podReasons.String())
	}
	parts := make([]string, 0, len(r.tally.Rejected))
	for _, rejected := range r.tally.Rejected {
		parts = append(parts, fmt.Sprintf("%d %s", rejected.Nodes, rejected.Message))
	}
	slices.Sort(parts)
	msg := fmt.Sprintf("%d/%d nodes are available", r.tally.Fits, total)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
	}
	return msg + "."
}
