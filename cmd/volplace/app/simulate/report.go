package simulate

import (
	"encoding/json"
	"fmt"
	"io"
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
}

// Evaluate evaluates the pod on every node of the evaluator's snapshot.
func Evaluate(ev *topology.Evaluator, pod *corev1.Pod) *PodReport {
	state := ev.Prepare(pod)
	r := &PodReport{
		Pod:               pod.Namespace + "/" + pod.Name,
		FeasibleNodes:     []string{},
		FailedNodes:       map[string]string{},
		UnresolvableNodes: map[string]string{},
		Scores:            map[string]int64{},
		podReasons:        state.PodReasons,
	}
	nodes := ev.Snapshot().Nodes()
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	for _, node := range nodes {
		res := ev.Evaluate(state, node)
		r.results = append(r.results, res)
		switch {
		case res.Fits():
			r.FeasibleNodes = append(r.FeasibleNodes, node.Name)
			r.Scores[node.Name] = res.Score
		case res.Reasons.Unresolvable():
			r.UnresolvableNodes[node.Name] = res.Reasons.Primary().String()
		default:
			r.FailedNodes[node.Name] = res.Reasons.Primary().String()
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
	counts := map[string]int{}
	for _, res := range r.results {
		if !res.Fits() {
			counts[res.Reasons.Primary().String()]++
		}
	}
	parts := make([]string, 0, len(counts))
	for reason, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, reason))
	}
	slices.Sort(parts)
	msg := fmt.Sprintf("%d/%d nodes are available", len(r.FeasibleNodes), total)
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
