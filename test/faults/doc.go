// Package faults injects faults into a running volplace, end to end: a real
// etcd and kube-apiserver (controller-runtime's envtest), volplace as a child
// process that can be SIGKILLed (the test binary itself, re-executed as
// `volplace serve`), and two real kube-scheduler processes that call it as
// their extender, one with ignorable: true and one with ignorable: false.
//
// The faults:
//   - kube-apiserver unreachable from volplace: a TCP proxy between them
//     refuses connections, while the tests change the cluster directly;
//     optionally etcd is compacted meanwhile, so that volplace's watches
//     expire (HTTP 410) and its informers must relist. kube-apiserver keeps
//     the watch cache off for CSINodes and VolumeAttachments so that
//     compaction expires their watches at once (see watchUncached);
//   - kube-apiserver stopped and started again, on the same port and
//     certificates;
//   - volplace killed while kube-scheduler places pods, then started again;
//   - volplace's webhooks unreachable (refused, or accepting and never
//     answering) under failurePolicy Ignore and Fail.
//
// The tests run one at a time, each with its own volplace on the same fixed
// addresses, and check outcomes: filter answers, /readyz, pod placement,
// what kube-apiserver admits. They log the figures they measure (time from
// reconnection to a fresh answer, how long pods waited).
//
// Like test/e2e, it needs KUBEBUILDER_ASSETS (hack/control-plane.sh prints
// the directory; `make test` sets it); without it the tests are skipped,
// unless VOLPLACE_E2E_REQUIRED=1. A failing run keeps its logs and
// configurations in a temporary directory, named on stderr.
package faults
