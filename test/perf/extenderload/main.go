// Command extenderload drives volplace's extender at a fixed rate over
// loopback and reports latency percentiles, server-side from volplace's own
// request_duration_seconds histogram and client-side from each request.
//
// The extender runs in this process over a static snapshot of the benchmark
// cluster (topology/testing.LargeCluster), behind a net/http server on a
// loopback port; the load is open-loop: each pod's filter request is sent at
// its scheduled time whether or not earlier ones have returned, and
// client-side latency counts from that time, so that a slow answer delays
// the figures of the requests queued behind it (no coordinated omission).
// Each pod, like kube-scheduler, calls filter on the candidates and then
// prioritize on the nodes that passed.
//
//	go run ./test/perf/extenderload --candidates 500,5000 --claims 3 --rate 50 --duration 30s
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/pflag"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "extenderload:", err)
		os.Exit(1)
	}
}

func run() error {
	o := defaultOptions()
	fs := pflag.NewFlagSet("extenderload", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	results, err := o.Run(ctx)
	if err != nil {
		return err
	}
	return writeReport(os.Stdout, o, results)
}
