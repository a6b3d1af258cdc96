package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Summary is the runs of one variant.
type Summary struct {
	Variant string `json:"variant"`
	Runs    int    `json:"runs"`
	// Median, Min and Max are pods/s.
	Median float64 `json:"medianPodsPerSecond"`
	Min    float64 `json:"minPodsPerSecond"`
	Max    float64 `json:"maxPodsPerSecond"`
	// MedianWall is the median time from kube-scheduler's start to the last
	// binding.
	MedianWall time.Duration `json:"medianWallNanoseconds"`
}

// Ratio compares the medians of two variants.
type Ratio struct {
	Of    string  `json:"of"`
	To    string  `json:"to"`
	Value float64 `json:"value"`
}

// Report is the whole benchmark.
type Report struct {
	Options   *Options  `json:"options"`
	Results   []Result  `json:"results"`
	Summaries []Summary `json:"summaries"`
	Ratios    []Ratio   `json:"ratios"`
}

// newReport summarises results per variant, in the order of variants.
func newReport(o *Options, variants []Variant, results []Result) *Report {
	rep := &Report{Options: o, Results: results}
	medians := map[string]float64{}
	for _, v := range variants {
		var rates []float64
		var walls []time.Duration
		for _, r := range results {
			if r.Variant == v.String() {
				rates = append(rates, r.PodsPerSecond)
				walls = append(walls, r.Wall)
			}
		}
		if len(rates) == 0 {
			continue
		}
		s := Summary{Variant: v.String(), Runs: len(rates), Median: median(rates), Min: slices.Min(rates), Max: slices.Max(rates), MedianWall: median(walls)}
		rep.Summaries = append(rep.Summaries, s)
		medians[s.Variant] = s.Median
	}
	for _, v := range variants {
		for _, to := range baselines(v) {
			of, base := medians[v.String()], medians[to.String()]
			if of > 0 && base > 0 {
				rep.Ratios = append(rep.Ratios, Ratio{Of: v.String(), To: to.String(), Value: of / base})
			}
		}
	}
	return rep
}

// baselines are the variants v is compared with: the same without
// -managed (what gating saves), the no-op extender in the same profile
// (what volplace adds to the transport), and no extender at all.
func baselines(v Variant) []Variant {
	if v.Plugin {
		// volplace-scheduler replaces the extender deployment and the
		// in-tree volume filters of kube-scheduler alone.
		return []Variant{{Extender: ExtenderVolplace}, {Extender: ExtenderNone}}
	}
	var out []Variant
	if v.Managed {
		unmanaged := v
		unmanaged.Managed = false
		out = append(out, unmanaged)
	}
	if v.Extender == ExtenderVolplace {
		out = append(out, v.With(ExtenderNoop))
	}
	if v.Extender != ExtenderNone {
		none := Variant{Extender: ExtenderNone, ExtenderOnly: v.ExtenderOnly}
		out = append(out, none)
	}
	return out
}

// median of a non-empty slice; the mean of the middle two for an even
// length.
func median[T float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Write writes the report as JSON or Markdown.
func (rep *Report) Write(out io.Writer, format string) error {
	if format == OutputJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("encoding the report: %w", err)
		}
		return nil
	}
	o := rep.Options
	p := &printer{w: out}
	volumes := fmt.Sprintf("%.0f %% with a bound zonal CSI PV", 100*o.VolumeFraction)
	if o.ProvisionFraction > 0 {
		volumes = fmt.Sprintf("%.0f %% with a CSI volume, %.0f %% of those to provision", 100*o.VolumeFraction, 100*o.ProvisionFraction)
	}
	p.printf("Scheduling throughput: %d nodes in %d zones, %d pods (%s), %d round(s).\n\n",
		o.Nodes, o.Zones, o.Pods, volumes, o.Rounds)
	p.printf("| variant | round | bound | pods/s | first→last bind | scheduler start→last bind | scheduler CPU | extender CPU | filter calls | volplace ms/call | misplaced |\n")
	p.printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rep.Results {
		p.printf("| %s | %d | %d | %.1f | %s | %s | %s | %s | %d | %.3f | %d |\n", r.Variant, r.Round, r.Bound, r.PodsPerSecond,
			seconds(r.Window), seconds(r.Wall), seconds(r.SchedulerCPU), seconds(r.ExtenderCPU), r.FilterCalls,
			float64(r.ServerTime)/float64(time.Millisecond), r.Misplaced)
	}
	p.printf("\n| variant | median pods/s | min–max | runs | median scheduler start→last bind |\n|---|--:|--:|--:|--:|\n")
	for _, s := range rep.Summaries {
		p.printf("| %s | %.1f | %.1f–%.1f | %d | %s |\n", s.Variant, s.Median, s.Min, s.Max, s.Runs, seconds(s.MedianWall))
	}
	if len(rep.Ratios) > 0 {
		p.printf("\n| ratio of medians | value |\n|---|--:|\n")
		for _, r := range rep.Ratios {
			p.printf("| %s / %s | %.3f |\n", r.Of, r.To, r.Value)
		}
	}
	return p.err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// printer keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
