// Command throughput measures kube-scheduler's scheduling throughput with
// and without an extender (issue 6, benchmark 3):
//
//	go run ./test/perf/throughput --variants none,noop,volplace --rounds 3
//
// Each run starts a fresh etcd and kube-apiserver (KUBEBUILDER_ASSETS, as
// printed by hack/control-plane.sh), creates with parallel clients Ready
// Nodes in zones with CSINodes and, per pod, a claim bound to its own zonal
// CSI PV (like scheduler_perf's SchedulingCSIPVs: bound claims need no
// provisioner), then the pods. Then it starts the variant's extender as a
// process of its own and waits for it to be ready (volplace's informer
// caches synced), and only then kube-scheduler, at --v=2 with a client QPS
// high enough not to throttle binding. The pods are created before the
// scheduler starts so that the measured window holds scheduling and binding
// only, with no creation traffic competing for the same CPUs.
//
// The rate comes from kube-scheduler's own "Successfully bound pod to node"
// lines, read from its log file rather than by polling the apiserver:
// pods/s = (bound-1) / (last binding - first binding), from klog's header
// timestamps. The wall time from kube-scheduler's start to the last binding
// is reported too. Every pod's node is checked against its PV's zone.
//
// Variants, alternated within each round (the order rotates each round):
// none (kube-scheduler alone), noop (`throughput noop-extender`, which
// decodes each request and keeps every node: the transport floor of any
// HTTP extender) and volplace (`volplace serve`, built from this module
// unless --volplace-binary is given). A suffix -only disables the in-tree
// volume plugins in the profile, leaving volumes to the extender; -managed
// declares volplace.io/storage as the extender's managedResources and has
// the pods with a volume request it, so that kube-scheduler calls the
// extender for those pods only: compare volplace-managed with volplace at
// --volume-fraction 0.5. The report gives each variant's median pods/s and
// spread, and the ratios of the medians.
package main

import (
	"os"

	"k8s.io/component-base/cli"
)

func main() {
	os.Exit(cli.Run(newCommand()))
}
