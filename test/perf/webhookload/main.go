// Command webhookload measures volplace's PersistentVolumeClaim admission
// webhooks over TLS at a fixed request rate (issue 6, benchmark 4), next to
// a no-op controller-runtime webhook served the same way in the same run.
//
//	go run ./test/perf/webhookload --rate 500 --duration 60s
//
// Both servers run in this process behind the TLS stack of `volplace
// serve` (certs.ServingConfig: certwatcher, TLS 1.2+, volplace's cipher
// suites) with the same serving certificate. The load is open-loop: request
// j is sent at start + j/(2*rate) whether or not earlier ones have
// answered, alternating between the two servers, so each receives --rate
// requests per second, interleaved in time, under the same CPU, GC and
// scheduler noise. Latency counts from the scheduled send time (no
// coordinated omission); service time from the actual send. Every answer is
// checked: a non-200, an undecodable review, a wrong UID or an outcome other
// than the expected one (the in-use claim's delete denied, a free claim's
// allowed, the default class patched in, ...) is an error.
package main

import (
	"os"

	"k8s.io/component-base/cli"
)

func main() { os.Exit(cli.Run(newCommand())) }
