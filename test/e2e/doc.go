// Package e2e runs volplace end to end: a real etcd and kube-apiserver
// (controller-runtime's envtest), volplace's server in-process, and the real
// kube-scheduler binary as a subprocess that calls volplace as its extender.
//
// The binaries come from KUBEBUILDER_ASSETS (hack/control-plane.sh prints the
// directory; `make test` sets it). Without it the tests are skipped, unless
// VOLPLACE_E2E_REQUIRED=1, which turns the skip into a failure.
//
// In this suite no kubelet, controller-manager or CSI driver runs (test/storage
// starts them through StartWith and Options.Storage): Nodes, CSINodes,
// PersistentVolumes and VolumeAttachments are plain API objects written by
// the tests, and a fake provisioner (provisioner.go) answers kube-scheduler's
// WaitForFirstConsumer provisioning requests.
//
// volplace also serves its admission webhooks, over TLS with a CA the suite
// generates (webhooks.go). The webhook configurations of
// manifests/base/webhooks.yaml are registered as shipped, except that they
// call volplace by URL and only apply to namespaces and StorageClasses
// labeled e2e.volplace.io/webhooks=true, so that the scheduling scenarios are
// not affected. kube-apiserver's DefaultStorageClass admission plugin is on,
// as on managed clusters: it fills in the class of claims without one before
// volplace's default-class webhook runs, whenever a class carries
// storageclass.kubernetes.io/is-default-class.
package e2e
