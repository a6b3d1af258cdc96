package webhook

import (
	"crypto/tls"
	"errors"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/topology"
)

// Deps are what the webhooks read.
type Deps struct {
	Snapshot   topology.Snapshot
	Namespaces corelisters.NamespaceLister // optional
	Client     kubernetes.Interface        // optional: live reads where the cache may lag
}

// Register registers every webhook on a controller-runtime webhook server.
func Register(srv ctrlwebhook.Server, deps Deps, opts Options) error {
	if deps.Snapshot == nil {
		return errors.New("webhook: a snapshot is required")
	}
	RegisterMetrics()
	for path, hook := range Hooks(deps, opts) {
		srv.Register(path, hook)
	}
	return nil
}

// Hooks returns the webhooks by path.
func Hooks(deps Deps, opts Options) map[string]*admission.Webhook {
	s := scheme.Scheme
	mutating := func(w *admission.Webhook) *admission.Webhook {
		w.Handler = withWarnings(w.Handler)
		return w
	}
	return map[string]*admission.Webhook{
		MutatePVCPath: mutating(admission.WithDefaulter[*corev1.PersistentVolumeClaim](s,
			&pvcDefaulter{snap: deps.Snapshot, namespaces: deps.Namespaces, opts: opts})),
		ValidatePVCPath: admission.WithValidator[*corev1.PersistentVolumeClaim](s,
			&pvcValidator{snap: deps.Snapshot, client: deps.Client, opts: opts}),
		MutateStorageClassPath: mutating(admission.WithDefaulter[*storagev1.StorageClass](s,
			&storageClassDefaulter{snap: deps.Snapshot, opts: opts})),
		ValidateStorageClassPath: admission.WithValidator[*storagev1.StorageClass](s,
			&storageClassValidator{snap: deps.Snapshot, opts: opts}),
		MutatePodPath: mutating(admission.WithDefaulter[*corev1.Pod](s,
			&podDefaulter{snap: deps.Snapshot, client: deps.Client, opts: opts})),
	}
}

// NewServer returns a controller-runtime webhook server on host:port that
// serves certDir/tls.crt and tls.key, reloaded when they change, with TLS
// 1.2 or later and modern cipher suites.
func NewServer(host string, port int, certDir string) ctrlwebhook.Server {
	return ctrlwebhook.NewServer(ctrlwebhook.Options{
		Host:     host,
		Port:     port,
		CertDir:  certDir,
		CertName: "tls.crt",
		KeyName:  "tls.key",
		TLSOpts:  []func(*tls.Config){certs.HardenTLS},
	})
}
