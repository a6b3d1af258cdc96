package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corelisters "k8s.io/client-go/listers/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

var pvcKind = schema.GroupKind{Kind: "PersistentVolumeClaim"}

// pvcDefaulter sets the default StorageClass of new claims without one.
type pvcDefaulter struct {
	snap       topology.Snapshot
	namespaces corelisters.NamespaceLister // nil: no namespace defaults
	opts       Options
}

var _ admission.Defaulter[*corev1.PersistentVolumeClaim] = &pvcDefaulter{}

// Default sets spec.storageClassName when it is unset (nil; "" means no
// class): the namespace's default class if its annotation names one, else
// the cluster's.
func (d *pvcDefaulter) Default(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	if op := operation(ctx); op != "" && op != "CREATE" {
		return nil
	}
	if pvc.Spec.StorageClassName != nil || pvc.Annotations[annBetaStorageClass] != "" {
		return nil
	}
	path := field.NewPath("spec", "storageClassName")
	name, why := "", ""
	if ns := d.namespace(pvc.Namespace); ns != nil && ns.Annotations[AnnNamespaceDefaultClass] != "" {
		name = ns.Annotations[AnnNamespaceDefaultClass]
		if _, ok := d.snap.StorageClass(name); !ok {
			record(ruleDefaultClass, decisionDenied)
			return apierrors.NewInvalid(pvcKind, pvc.Name, field.ErrorList{field.Invalid(path, name,
				fmt.Sprintf("namespace %s names this StorageClass as its default (annotation %s), and it does not exist", pvc.Namespace, AnnNamespaceDefaultClass))})
		}
		why = fmt.Sprintf("the default StorageClass of namespace %s (annotation %s)", pvc.Namespace, AnnNamespaceDefaultClass)
	} else {
		var denial string
		name, why, denial = pickDefault(d.opts.DefaultClassPolicy, d.snap.StorageClasses())
		if denial != "" {
			record(ruleDefaultClass, decisionDenied)
			return apierrors.NewInvalid(pvcKind, pvc.Name, field.ErrorList{field.Required(path, denial)})
		}
	}
	if name == "" {
		return nil
	}
	pvc.Spec.StorageClassName = &name
	record(ruleDefaultClass, decisionMutated)
	warn(ctx, fmt.Sprintf("spec.storageClassName set to %q: %s", name, why))
	return nil
}

func (d *pvcDefaulter) namespace(name string) *corev1.Namespace {
	if d.namespaces == nil {
		return nil
	}
	ns, err := d.namespaces.Get(name)
	if err != nil {
		return nil
	}
	return ns
}
