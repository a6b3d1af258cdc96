// Command memory measures the memory of `volplace serve` once it has synced
// benchmark 1's cluster from a real kube-apiserver (issue 6, benchmark 5).
//
//	KUBEBUILDER_ASSETS="$(hack/control-plane.sh)" go run ./test/perf/memory
//
// It starts etcd and kube-apiserver (envtest, from KUBEBUILDER_ASSETS),
// creates topology/testing.LargeCluster at --size with --workers parallel
// clients (then the status of PVs and claims, which volplace reads), builds
// volplace and runs `volplace serve` against the apiserver as a separate
// process, waits for /readyz and --settle, and reads VmRSS and VmHWM from
// /proc and the Go heap from /metrics. It then checks that what volplace
// synced is the whole cluster: its extender's filter answer for a pending
// pod over every node must equal the answer of the same handler over the
// created objects in memory.
package main

import (
	"os"

	"k8s.io/component-base/cli"
)

func main() { os.Exit(cli.Run(newCommand())) }
