package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
)

// PodReport is the evaluation of one pod against every node.
type PodReport struct {
	Pod               string            `json:"pod"`
	FeasibleNodes     []string          `json:"feasibleNodes"`
	FailedNodes       map[string]string `json:"failedNodes"`
	UnresolvableNodes map[string]string `json:"unresolvableNodes"`
	Scores            map[string]int64  `json:"scores"`

	podReasons topology.Reasons
	results    []topology.NodeResult
	tally      topology.Tally
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
		results:           make([]topology.NodeResult, 0, len(cands)),
		tally:             ev.EvaluateNodes(state, cands, runtime.GOMAXPROCS(0)),
	}
	for i := range cands {
		c := &cands[i]
		r.results = append(r.results, *c.Result)
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
	return r
}

// Summary is the line kube-scheduler would write in a FailedScheduling
// event when volplace is its extender: each node's primary reason with the
// number of nodes it rejected, sorted.
func (r *PodReport) Summary() string {
	total := len(r.results)
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

// WriteTable prints one table per pod: node, fits, score and reasons, with
// the per-node details under each row, then the summary line.
func WriteTable(w io.Writer, reports []*PodReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range reports {
		if i > 0 {
			_, _ = fmt.Fprintln(tw)
		}
		_, _ = fmt.Fprintf(tw, "Pod %s\n", r.Pod)
		_, _ = fmt.Fprintln(tw, "NODE\tFITS\tSCORE\tREASONS")
		for _, res := range r.results {
			if res.Fits() {
				_, _ = fmt.Fprintf(tw, "%s\tyes\t%d\t-\n", res.Node, res.Score)
				for _, c := range res.Components {
					_, _ = fmt.Fprintf(tw, "\t\t\t  %s %d (weight %d): %s\n", c.Name, c.Score, c.Weight, c.Detail)
				}
				continue
			}
			for j, reason := range res.Reasons {
				if j == 0 {
					_, _ = fmt.Fprintf(tw, "%s\tno\t-\t%s\n", res.Node, reason.String())
				} else {
					_, _ = fmt.Fprintf(tw, "\t\t\t%s\n", reason.String())
				}
				for _, d := range reason.Detail {
					_, _ = fmt.Fprintf(tw, "\t\t\t  %s\n", d)
				}
			}
		}
		_, _ = fmt.Fprintln(tw, r.Summary())
	}
	if len(reports) == 0 {
		_, _ = fmt.Fprintln(tw, "No pending pods.")
	}
	return tw.Flush()
}

// WriteJSON prints the reports as a JSON array.
func WriteJSON(w io.Writer, reports []*PodReport) error {
	if reports == nil {
		reports = []*PodReport{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(reports)
}
