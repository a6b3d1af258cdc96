package webhook

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/volplace/volplace/topology"
)

// classDefaults decides which StorageClass a new claim without one gets in
// a namespace: the PVC webhook sets it, and the pod webhook reasons about
// the claims of a pod's generic ephemeral volumes with the same answer.
type classDefaults struct {
	cluster    topology.Cluster
	namespaces corelisters.NamespaceLister // nil: no namespace defaults
	policy     DefaultClassPolicy
}

// classDefault is a classDefaults decision: the class ("" for none) and
// why, or a denial naming what is wrong (a namespace default that does not
// exist, several defaults under the reject policy).
type classDefault struct {
	name, why, denial string
}

// forNamespace returns the default class of new claims in the namespace:
// the namespace's own (annotation AnnNamespaceDefaultClass), else the
// cluster's under the multiple-defaults policy.
func (c classDefaults) forNamespace(namespace string) classDefault {
	if ns := c.namespace(namespace); ns != nil && ns.Annotations[AnnNamespaceDefaultClass] != "" {
		name := ns.Annotations[AnnNamespaceDefaultClass]
		if _, ok := c.cluster.StorageClass(name); !ok {
			return classDefault{denial: fmt.Sprintf("namespace %s names this StorageClass as its default (annotation %s), and it does not exist", namespace, AnnNamespaceDefaultClass), name: name}
		}
		return classDefault{name: name, why: fmt.Sprintf("the default StorageClass of namespace %s (annotation %s)", namespace, AnnNamespaceDefaultClass)}
	}
	name, why, denial := pickDefault(c.policy, c.cluster.StorageClasses())
	return classDefault{name: name, why: why, denial: denial}
}

// filledIn reports whether a new claim's spec.storageClassName, which is
// set, was filled in by kube-apiserver's DefaultStorageClass admission
// plugin rather than written by the request, and says why. It was when no
// field manager owns it (classWritten) and it names a class the plugin
// picks (topology.IsDefaultClass). Such a class counts as unset: the claim
// gets the class forNamespace answers, as with the plugin off. A class
// that another admission step set, to a class the plugin would not pick, is
// the user's as far as volplace can tell, and kept.
func (c classDefaults) filledIn(pvc *corev1.PersistentVolumeClaim) (bool, string) {
	if written, why := classWritten(pvc); written {
		return false, why
	}
	class, ok := c.cluster.StorageClass(*pvc.Spec.StorageClassName)
	switch {
	case !ok:
		return false, "no field manager owns it, and volplace does not know the class"
	case !topology.IsDefaultClass(class):
		return false, "no field manager owns it, and the class is not marked default for kube-apiserver"
	}
	return true, "no field manager owns it, and the class is marked default for kube-apiserver"
}

func (c classDefaults) namespace(name string) *corev1.Namespace {
	if c.namespaces == nil {
		return nil
	}
	ns, err := c.namespaces.Get(name)
	if err != nil {
		return nil
	}
	return ns
}

// isDefaultClass reports whether a class is marked as a default, by
// Kubernetes' GA or beta annotation or by volplace's own.
func isDefaultClass(class *storagev1.StorageClass) bool {
	return topology.IsDefaultClass(class) || class.Annotations[AnnDefaultClass] == "true"
}

func classNames(classes []*storagev1.StorageClass) string {
	names := make([]string, len(classes))
	for i, c := range classes {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// pickDefault applies the policy to the default classes. It returns the
// class ("" for none), why it was chosen, and a denial message under the
// reject policy.
func pickDefault(policy DefaultClassPolicy, classes []*storagev1.StorageClass) (name, why, denial string) {
	defaults := topology.DefaultClasses(classes, isDefaultClass)
	switch {
	case len(defaults) == 0:
		return "", "", ""
	case len(defaults) == 1:
		return defaults[0].Name, "the cluster's default StorageClass", ""
	case policy == PolicyReject:
		return "", "", fmt.Sprintf("%d StorageClasses are marked default (%s) and volplace's default class policy is reject: set spec.storageClassName", len(defaults), classNames(defaults))
	}
	return defaults[0].Name, fmt.Sprintf("the newest of %d default StorageClasses (%s), as kube-apiserver picks", len(defaults), classNames(defaults)), ""
}
