// Command extenderload drives volplace's extender at a fixed rate over
// loopback and reports latency percentiles, server-side from volplace's own
// request_duration_seconds histogram and client-side from each request.
//
// The extender runs over a static snapshot of the benchmark cluster
// (topology/testing.LargeCluster), behind a net/http server on a loopback
// port, in a process of its own (this program run again with the hidden
// --serve flag), as it runs apart from kube-scheduler in production: in
// the same process, the load generator's garbage (the decoded answers)
// would start garbage collections over the server's 150 MB heap, whose
// pauses and assists would make the server's tail. --server inline keeps
// it in this process, for tests and comparison.
//
// The load is open-loop: each pod's filter request is sent at its
// scheduled time whether or not earlier ones have returned, and
// client-side latency counts from that time, so that a slow answer delays
// the figures of the requests queued behind it (no coordinated omission).
// Each pod, like kube-scheduler, calls filter on the candidates and then
// prioritize on the nodes that passed.
//
// --handler noop serves, in place of volplace and without its cache, a
// no-op extender at the same paths, which decodes each request with
// encoding/json, passes every node and scores each 0: the baseline of
// what any HTTP extender pays for decoding, encoding and the round trip.
// Its server-side figures come from a histogram of its own with
// volplace's buckets.
//
//	go run ./test/perf/extenderload --candidates 500,5000 --claims 3 --rate 50 --duration 30s
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

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
	// SIGTERM too, so that the server process, which the parent may end
	// by signal, closes its listener.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.child {
		return o.serve(ctx, os.Stdin, os.Stdout)
	}
	results, err := o.Run(ctx)
	if err != nil {
		return err
	}
	return writeReport(os.Stdout, o, results)
}
