// Package deploy tests what users install: the kustomizations under
// manifests/ and the kube-scheduler configurations volplace ships or prints.
//
//   - Every kustomization passes `kubectl apply -k --dry-run=server`, without
//     warnings, against a real kube-apiserver that has the cert-manager and
//     Prometheus Operator CRDs (testdata/crds), and a Pod from every
//     Deployment's template is admitted in volplace-system (Pod Security
//     "restricted", priority class).
//   - The self-signed overlay, applied for real, gives the volplace
//     ServiceAccount exactly the rules it is meant to have, and volplace,
//     running with the Deployment's arguments as that ServiceAccount, syncs
//     every informer, writes its certificate Secret and patches caBundle into
//     its webhook configurations without a single "forbidden"; re-applying
//     the overlay keeps the certificates.
//   - The real kube-scheduler starts with manifests/scheduler's
//     configurations, with `volplace config scheduler` output (plain and
//     mutual TLS) and with the secondary-scheduler overlay's configuration
//     as that overlay's ServiceAccount, calls volplace and places a pod next
//     to its zonal volume.
//
// Like test/e2e, it runs etcd and kube-apiserver through controller-runtime's
// envtest from KUBEBUILDER_ASSETS (hack/control-plane.sh prints the
// directory, which also holds kube-scheduler and a kubectl symlink), volplace
// in-process and kube-scheduler as a subprocess. Without KUBEBUILDER_ASSETS
// the tests are skipped, unless VOLPLACE_E2E_REQUIRED=1, which turns the skip
// into a failure. VOLPLACE_DEPLOY_KEEP_LOGS=1 keeps the temporary directory
// (logs, kubeconfigs, the scheduler configurations as run) of a passing run;
// a failing run always keeps it.
package deploy
