package webhook

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

// Deps are what the webhooks read.
type Deps struct {
	Cluster    topology.Cluster
	Namespaces corelisters.NamespaceLister // optional
	Client     kubernetes.Interface        // optional: live reads where the cache may lag
}

// Hooks returns the webhooks by path.
func Hooks(deps Deps, opts Options) map[string]*admission.Webhook {
	s := scheme.Scheme
	defaults := classDefaults{cluster: deps.Cluster, namespaces: deps.Namespaces, policy: opts.DefaultClassPolicy}
	mutating := func(w *admission.Webhook) *admission.Webhook {
		w.Handler = withWarnings(w.Handler)
		return w
	}
	return map[string]*admission.Webhook{
		MutatePVCPath: mutating(admission.WithDefaulter[*corev1.PersistentVolumeClaim](s,
			&pvcDefaulter{defaults: defaults})),
		ValidatePVCPath: admission.WithValidator[*corev1.PersistentVolumeClaim](s,
			&pvcValidator{cluster: deps.Cluster, client: deps.Client, opts: opts}),
		MutateStorageClassPath: mutating(admission.WithDefaulter[*storagev1.StorageClass](s,
			&storageClassDefaulter{cluster: deps.Cluster, opts: opts})),
		ValidateStorageClassPath: admission.WithValidator[*storagev1.StorageClass](s,
			&storageClassValidator{cluster: deps.Cluster, opts: opts}),
		MutatePodPath: mutating(admission.WithDefaulter[*corev1.Pod](s,
			&podDefaulter{cluster: deps.Cluster, client: deps.Client, opts: opts, defaults: defaults})),
	}
}
