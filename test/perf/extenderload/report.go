package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// writeReport prints the results as a table or as JSON.
func writeReport(w io.Writer, o *Options, results []Result) error {
	if o.Output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	where := "separate process"
	if o.Server == serverInline {
		where = "inline"
	}
	cache := fmt.Sprintf("cache: %d nodes, %d pods, %d claims", o.Cluster.Nodes, o.Cluster.Pods, o.Cluster.Claims)
	metric := durationMetric
	if o.Handler == handlerNoop {
		cache = fmt.Sprintf("no cache, candidates named from %d nodes", o.Cluster.Nodes)
		metric = noopMetric + " (volplace's buckets)"
	}
	fmt.Fprintf(w, "server: %s, handler %s; %s; pod with %d claim(s); %.0f pods/s for %s after %s warm-up\n\n",
		where, o.Handler, cache, o.Claims, o.Rate, o.Duration, o.Warmup)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "candidates\tverb\trequests\terrors\tserver p50\tserver p99\tserver max\tclient p50\tclient p99\tclient max\t")
	for _, r := range results {
		for _, v := range r.Verbs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Candidates, v.Verb, v.Server.Count, v.Errors,
				seconds(v.Server.P50), seconds(v.Server.P99), "≤"+seconds(v.Server.Max),
				ms(v.Latency.P50), ms(v.Latency.P99), ms(v.Latency.Max))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nserver: %s, interpolated within buckets; client: from the time each request was due.\n", metric)
	return nil
}

func seconds(s float64) string { return ms(time.Duration(s * float64(time.Second))) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
