// Package e2e runs volplace end to end: a real etcd and kube-apiserver
// (controller-runtime's envtest), volplace's server in-process, and the real
// kube-scheduler binary as a subprocess that calls volplace as its extender.
//
// The binaries come from KUBEBUILDER_ASSETS (hack/control-plane.sh prints the
// directory; `make test` sets it). Without it the tests are skipped, unless
// VOLPLACE_E2E_REQUIRED=1, which turns the skip into a failure.
//
// No kubelet, controller-manager or CSI driver runs: Nodes, CSINodes,
// PersistentVolumes and VolumeAttachments are plain API objects written by
// the tests, and a fake provisioner (provisioner.go) answers kube-scheduler's
// WaitForFirstConsumer provisioning requests.
package e2e
