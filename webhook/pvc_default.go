package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

var pvcKind = schema.GroupKind{Kind: "PersistentVolumeClaim"}

// pvcDefaulter sets the default StorageClass of new claims without one.
type pvcDefaulter struct {
	defaults classDefaults
}

var _ admission.Defaulter[*corev1.PersistentVolumeClaim] = &pvcDefaulter{}

// Default sets spec.storageClassName when it is unset (nil; "" means no
// class): the namespace's default class if its annotation names one, else
// the cluster's. A class kube-apiserver's DefaultStorageClass plugin filled
// in before the webhook counts as unset (classDefaults.filledIn), so that
// the claim gets the same class, and the same warning, whether the plugin
// runs or not.
func (d *pvcDefaulter) Default(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	if op := operation(ctx); op != "" && op != "CREATE" {
		return nil
	}
	if pvc.Annotations[annBetaStorageClass] != "" {
		return nil
	}
	current := pvc.Spec.StorageClassName
	if current != nil {
		filled, why := d.defaults.filledIn(pvc)
		klog.FromContext(ctx).V(4).Info("Claim names a StorageClass", "pvc", klog.KObj(pvc), "class", *current, "filledInByAdmission", filled, "why", why)
		if !filled {
			return nil
		}
	}
	path := field.NewPath("spec", "storageClassName")
	def := d.defaults.forNamespace(pvc.Namespace)
	switch {
	case def.denial != "" && def.name != "":
		record(ruleDefaultClass, decisionDenied)
		return apierrors.NewInvalid(pvcKind, pvc.Name, field.ErrorList{field.Invalid(path, def.name, def.denial)})
	case def.denial != "":
		record(ruleDefaultClass, decisionDenied)
		return apierrors.NewInvalid(pvcKind, pvc.Name, field.ErrorList{field.Required(path, def.denial)})
	case def.name == "":
		// No default: the claim stays without class. (A filled-in class
		// is a default volplace knows, so it never gets here.)
		return nil
	}
	if current != nil && *current == def.name {
		record(ruleDefaultClass, decisionWarned)
	} else {
		pvc.Spec.StorageClassName = &def.name
		record(ruleDefaultClass, decisionMutated)
	}
	warn(ctx, fmt.Sprintf("spec.storageClassName set to %q: %s", def.name, def.why))
	return nil
}
