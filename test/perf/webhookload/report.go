package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	st "github.com/volplace/volplace/topology/testing"
)

// The targets for volplace's webhooks.
const (
	targetP99      = 3 * time.Millisecond
	targetP99Ratio = 1.2
	// maxErrorSamples bounds the error messages the report quotes.
	maxErrorSamples = 5
	// kindAll names the row over every kind of request.
	kindAll = "all"
)

// Report is the outcome of a run.
type Report struct {
	RatePerServer float64        `json:"ratePerServer"`
	Duration      string         `json:"duration"`
	Warmup        string         `json:"warmup"`
	Cluster       st.ClusterSize `json:"cluster"`
	FreeClaims    int            `json:"freeClaims"`
	Objects       int            `json:"objects"`
	Client        string         `json:"client"`
	LiveClient    bool           `json:"liveClient"`
	// DispatchLag is how late the load generator sent requests, over every
	// measured one: latency minus service time. A large lag means the
	// machine, not the servers, limited the run.
	DispatchLag  Percentiles `json:"dispatchLagMs"`
	Results      []Result    `json:"results"`
	Targets      []Target    `json:"targets"`
	ErrorSamples []string    `json:"errorSamples,omitempty"`
}

// Result sums up the measured requests of one kind to one server.
type Result struct {
	Server   string `json:"server"`
	Kind     string `json:"kind"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
	// Denied counts the answers that denied the request.
	Denied int `json:"denied"`
	// Latency runs from the scheduled send time, Service from the actual
	// send, both to the end of the answer.
	Latency Percentiles `json:"latencyMs"`
	Service Percentiles `json:"serviceMs"`
}

// Percentiles are in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Target is one of the targets, checked.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Met   bool    `json:"met"`
}

func summarize(o *Options, c *cluster, targets []*target, samples []sample) *Report {
	r := &Report{
		RatePerServer: o.Rate,
		Duration:      o.Duration.String(),
		Warmup:        o.Warmup.String(),
		Cluster:       c.size,
		FreeClaims:    c.freeClaims,
		Objects:       c.objects,
		Client:        fmt.Sprintf("HTTP/1.1 keep-alive, up to %d idle connections per server (kube-apiserver's webhook client)", clientIdleConnsPerHost),
		LiveClient:    c.deps.Client != nil,
	}
	var lags []time.Duration
	for i := range samples {
		if samples[i].measured {
			lags = append(lags, samples[i].lag)
		}
	}
	r.DispatchLag = percentiles(lags)
	for ti, t := range targets {
		for ki, k := range kinds {
			r.Results = append(r.Results, r.result(t.name, string(k), samples, func(s *sample) bool { return s.target == ti && s.kind == ki }))
		}
		r.Results = append(r.Results, r.result(t.name, kindAll, samples, func(s *sample) bool { return s.target == ti }))
	}
	vp, base := r.find(serverVolplace, kindAll), r.find(serverBaseline, kindAll)
	ratio := math.Inf(1)
	if base.Latency.P99 > 0 {
		ratio = vp.Latency.P99 / base.Latency.P99
	}
	r.Targets = []Target{
		{Name: "volplace p99 latency (ms)", Value: vp.Latency.P99, Limit: millis(targetP99), Met: vp.Latency.P99 <= millis(targetP99)},
		{Name: "volplace p99 / baseline p99", Value: ratio, Limit: targetP99Ratio, Met: ratio <= targetP99Ratio},
	}
	return r
}

// result sums up the measured samples that match, and quotes the first
// errors.
func (r *Report) result(server, kind string, samples []sample, match func(*sample) bool) Result {
	res := Result{Server: server, Kind: kind}
	var latency, service []time.Duration
	for i := range samples {
		s := &samples[i]
		if !s.measured || !match(s) {
			continue
		}
		res.Requests++
		if s.err != nil {
			res.Errors++
			if kind != kindAll && len(r.ErrorSamples) < maxErrorSamples {
				r.ErrorSamples = append(r.ErrorSamples, fmt.Sprintf("%s %s: %v", server, kind, s.err))
			}
		}
		if s.denied {
			res.Denied++
		}
		latency, service = append(latency, s.latency), append(service, s.service)
	}
	res.Latency, res.Service = percentiles(latency), percentiles(service)
	return res
}

func (r *Report) find(server, kind string) Result {
	for _, res := range r.Results {
		if res.Server == server && res.Kind == kind {
			return res
		}
	}
	return Result{}
}

// TotalErrors counts the errors of every server.
func (r *Report) TotalErrors() int {
	n := 0
	for _, res := range r.Results {
		if res.Kind == kindAll {
			n += res.Errors
		}
	}
	return n
}

// percentiles returns the nearest-rank percentiles of ds.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return millis(ds[min(max(i, 0), len(ds)-1)])
	}
	return Percentiles{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: millis(ds[len(ds)-1])}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Write prints the report as a table or as JSON.
func (r *Report) Write(w io.Writer, format string) error {
	if format == outputJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%g req/s per server for %s after %s warmup; cluster %d nodes, %d pods, %d claims + %d free claims (%d objects); live client: %t\n",
		r.RatePerServer, r.Duration, r.Warmup, r.Cluster.Nodes, r.Cluster.Pods, r.Cluster.Claims, r.FreeClaims, r.Objects, r.LiveClient)
	fmt.Fprintf(tw, "client: %s; dispatch lag p50 %.3f ms, p99 %.3f ms, max %.3f ms\n\n", r.Client, r.DispatchLag.P50, r.DispatchLag.P99, r.DispatchLag.Max)
	fmt.Fprintln(tw, "SERVER\tKIND\tREQUESTS\tERRORS\tDENIED\tP50 ms\tP90 ms\tP99 ms\tMAX ms\tSVC P50 ms\tSVC P99 ms")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", res.Server, res.Kind, res.Requests, res.Errors, res.Denied,
			res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Latency.Max, res.Service.P50, res.Service.P99)
	}
	fmt.Fprintln(tw, "\nTARGET\tVALUE\tLIMIT\tMET")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%t\n", t.Name, t.Value, t.Limit, t.Met)
	}
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(tw, "error: %s\n", e)
	}
	return tw.Flush()
}
