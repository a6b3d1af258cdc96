package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Formats are the output formats of simulate and explain: table, the table
// with reason codes and whether preemption can help (wide), and JSON and
// YAML, which carry everything wide shows.
var Formats = []string{"table", "wide", "json", "yaml"}

// View selects what a report shows.
type View struct {
	// OnlyFailing leaves out the nodes a pod fits (in a plan, the pods
	// that are placed).
	OnlyFailing bool
	// SummaryOnly shows one line per pod: kube-scheduler's FailedScheduling
	// summary (in a plan, its last line).
	SummaryOnly bool
}

// Write writes the reports in a format of Formats.
func Write(w io.Writer, format string, reports []*PodReport, v View) error {
	switch format {
	case "table", "wide":
		return writeTable(w, reports, v, format == "wide")
	case "json", "yaml":
		if reports == nil {
			reports = []*PodReport{}
		}
		if v.SummaryOnly {
			type summary struct {
				Pod     string `json:"pod"`
				Summary string `json:"summary"`
			}
			out := make([]summary, 0, len(reports))
			for _, r := range reports {
				out = append(out, summary{r.Pod, r.Summary})
			}
			return encode(w, format, out)
		}
		if v.OnlyFailing {
			reports = onlyFailing(reports)
		}
		return encode(w, format, reports)
	}
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// onlyFailing returns copies of the reports whose Nodes hold only the
// nodes the pod does not fit.
func onlyFailing(reports []*PodReport) []*PodReport {
	out := make([]*PodReport, 0, len(reports))
	for _, r := range reports {
		c := *r
		c.Nodes = slices.DeleteFunc(slices.Clone(r.Nodes), func(n NodeReport) bool { return n.Fits })
		out = append(out, &c)
	}
	return out
}

func encode(w io.Writer, format string, v any) error {
	if format == "yaml" {
		data, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding YAML: %w", err)
		}
		_, err = w.Write(data)
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTable prints one table per pod: node, fits, score and reasons, the
// figures under each row, then the summary line. wide adds each reason's
// code and whether preemption can help.
func writeTable(w io.Writer, reports []*PodReport, v View, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(reports) == 0 {
		_, _ = fmt.Fprintln(tw, "No pending pods.")
	}
	// Lines under a row start in the REASONS column, indented.
	under := "\t\t\t  "
	if wide {
		under = "\t\t\t\t\t  "
	}
	for i, r := range reports {
		if v.SummaryOnly {
			_, _ = fmt.Fprintf(tw, "Pod %s: %s\n", r.Pod, r.Summary)
			continue
		}
		if i > 0 {
			_, _ = fmt.Fprintln(tw)
		}
		_, _ = fmt.Fprintf(tw, "Pod %s\n", r.Pod)
		if wide {
			_, _ = fmt.Fprintln(tw, "NODE\tFITS\tSCORE\tCODE\tPREEMPTION\tREASONS")
		} else {
			_, _ = fmt.Fprintln(tw, "NODE\tFITS\tSCORE\tREASONS")
		}
		for _, n := range r.Nodes {
			if n.Fits {
				if v.OnlyFailing {
					continue
				}
				if wide {
					_, _ = fmt.Fprintf(tw, "%s\tyes\t%d\t-\t-\t-\n", n.Node, n.Score)
				} else {
					_, _ = fmt.Fprintf(tw, "%s\tyes\t%d\t-\n", n.Node, n.Score)
				}
				writeScore(tw, under, n)
				continue
			}
			for j, reason := range n.Reasons {
				// The node's columns only on its first row.
				node, fits, score := n.Node, "no", "-"
				if j > 0 {
					node, fits, score = "", "", ""
				}
				if wide {
					_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", node, fits, score, reason.Code, preemption(reason), reason.Reason)
				} else {
					_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", node, fits, score, reason.Reason)
				}
				for _, d := range reason.Detail {
					_, _ = fmt.Fprintf(tw, "%s%s\n", under, d)
				}
			}
		}
		_, _ = fmt.Fprintln(tw, r.Summary)
	}
	return tw.Flush()
}

// preemption says whether evicting pods from the node can make the reason
// go away, as kube-scheduler's preemption decides from the extender's
// failed and unresolvable split.
func preemption(r ReasonReport) string {
	if r.Unresolvable {
		return "cannot help"
	}
	return "may help"
}

// WritePlan writes a plan in a format of Formats.
func WritePlan(w io.Writer, format string, plan *PlanReport, v View) error {
	switch format {
	case "table", "wide":
		return writePlanTable(w, plan, v, format == "wide")
	case "json", "yaml":
		type withSummary struct {
			*PlanReport
			Summary string `json:"summary"`
		}
		if v.SummaryOnly {
			c := *plan
			c.Placements = nil
			return encode(w, format, withSummary{&c, plan.Summary()})
		}
		if v.OnlyFailing {
			c := *plan
			c.Placements = slices.DeleteFunc(slices.Clone(plan.Placements), func(p Placement) bool { return p.Fits() })
			plan = &c
		}
		return encode(w, format, withSummary{plan, plan.Summary()})
	}
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// writePlanTable prints one row per pod in queue order, the reasons of the
// pods that do not fit under their row, then the plan's summary. wide adds
// the reasons' codes and, under a placed pod, its node's score components.
func writePlanTable(w io.Writer, plan *PlanReport, v View, wide bool) error {
	if !v.SummaryOnly {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "#\tPOD\tNODE\tSCORE\tRESULT")
		for i, p := range plan.Placements {
			if p.Fits() {
				if v.OnlyFailing {
					continue
				}
				_, _ = fmt.Fprintf(tw, "%d\t%s\t%s\t%d\tplaced\n", i+1, p.Pod, p.Node, p.Score)
				if wide {
					writePlacedNode(tw, p)
				}
				continue
			}
			_, _ = fmt.Fprintf(tw, "%d\t%s\t-\t-\t%s\n", i+1, p.Pod, p.Summary)
			for _, n := range p.Evaluation.Nodes {
				for _, reason := range n.Reasons {
					line := reason.line()
					if wide {
						line = "[" + string(reason.Code) + "] " + line
					}
					_, _ = fmt.Fprintf(tw, "\t\t\t\t  %s: %s\n", n.Node, line)
				}
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, plan.Summary())
	return err
}

// writePlacedNode prints the score components of the node a pod was
// placed on.
func writePlacedNode(w io.Writer, p Placement) {
	for _, n := range p.Evaluation.Nodes {
		if n.Node == p.Node {
			writeScore(w, "\t\t\t\t  ", n)
		}
	}
}

// writeScore prints a fitting node's score components, or why it has
// none, one per line after indent.
func writeScore(w io.Writer, indent string, n NodeReport) {
	for _, c := range n.Components {
		_, _ = fmt.Fprintf(w, "%s%s %d (weight %d): %s\n", indent, c.Name, c.Score, c.Weight, c.Detail)
	}
	if n.ScoreNote != "" {
		_, _ = fmt.Fprintf(w, "%s%s\n", indent, n.ScoreNote)
	}
}
