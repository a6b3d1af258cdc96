package webhook

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/storage/volume"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

// pvcValidator checks access modes on create and guards deletion.
type pvcValidator struct {
	cluster topology.Cluster
	client  kubernetes.Interface // nil: no live confirmation
	opts    Options
}

var _ admission.Validator[*corev1.PersistentVolumeClaim] = &pvcValidator{}

// ValidateCreate checks the claim's access modes and volume mode against its
// class's provisioner.
func (v *pvcValidator) ValidateCreate(_ context.Context, pvc *corev1.PersistentVolumeClaim) (admission.Warnings, error) {
	return v.checkAccessModes(pvc)
}

// ValidateUpdate checks access modes when the claim gets a class it did not
// have (the only class change the API allows); other updates pass.
func (v *pvcValidator) ValidateUpdate(_ context.Context, old, pvc *corev1.PersistentVolumeClaim) (admission.Warnings, error) {
	if volume.GetPersistentVolumeClaimClass(old) == volume.GetPersistentVolumeClaimClass(pvc) {
		return nil, nil
	}
	return v.checkAccessModes(pvc)
}

func (v *pvcValidator) checkAccessModes(pvc *corev1.PersistentVolumeClaim) (admission.Warnings, error) {
	var warnings admission.Warnings
	var errs field.ErrorList
	modesPath := field.NewPath("spec", "accessModes")
	for i, m := range pvc.Spec.AccessModes {
		if !slices.Contains(allAccessModes, m) {
			errs = append(errs, field.NotSupported(modesPath.Index(i), m, allAccessModes))
		}
	}
	if len(errs) > 0 {
		record(ruleAccessModes, decisionDenied)
		return nil, apierrors.NewInvalid(pvcKind, pvc.Name, errs)
	}
	if w := v.readOnlyWarning(pvc); w != "" {
		warnings = append(warnings, w)
	}
	className := volume.GetPersistentVolumeClaimClass(pvc)
	if className == "" {
		return warnings, nil
	}
	class, ok := v.cluster.StorageClass(className)
	if !ok {
		record(ruleAccessModes, decisionWarned)
		return append(warnings, fmt.Sprintf("StorageClass %q does not exist: the claim stays Pending until it does, and its access modes were not checked", className)), nil
	}
	if class.Provisioner == noProvisioner {
		return append(warnings, v.staticWarnings(pvc, className)...), nil
	}
	caps, source, known := v.opts.capabilities(class)
	if !known {
		record(ruleAccessModes, decisionWarned)
		return append(warnings, fmt.Sprintf("volplace does not know which access modes provisioner %s supports; annotate StorageClass %s with %s to check them",
			class.Provisioner, className, AnnAccessModes)), nil
	}
	supported := caps.Filesystem
	if pvc.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode == corev1.PersistentVolumeBlock {
		if len(caps.Block) == 0 {
			errs = append(errs, field.Invalid(field.NewPath("spec", "volumeMode"), corev1.PersistentVolumeBlock,
				fmt.Sprintf("StorageClass %s (provisioner %s) does not support raw block volumes (source: %s)", className, class.Provisioner, source)))
		}
		supported = caps.Block
	}
	if len(supported) > 0 {
		for i, m := range pvc.Spec.AccessModes {
			if !slices.Contains(supported, m) {
				errs = append(errs, field.Invalid(modesPath.Index(i), m,
					fmt.Sprintf("StorageClass %s (provisioner %s) supports %s (source: %s)", className, class.Provisioner, joinModes(supported), source)))
			}
		}
	}
	switch {
	case len(errs) == 0:
		record(ruleAccessModes, decisionAllowed)
		return warnings, nil
	case v.opts.EnforceAccessModes:
		record(ruleAccessModes, decisionDenied)
		return warnings, apierrors.NewInvalid(pvcKind, pvc.Name, errs)
	}
	record(ruleAccessModes, decisionWarned)
	for _, e := range errs {
		warnings = append(warnings, e.Error())
	}
	return warnings, nil
}

// staticWarnings checks a claim of a class without provisioner against the
// class's PVs: only existing PVs can ever bind it.
func (v *pvcValidator) staticWarnings(pvc *corev1.PersistentVolumeClaim, className string) admission.Warnings {
	pvs := v.cluster.UnboundPersistentVolumes(className)
	for _, pv := range pvs {
		if volume.CheckAccessModes(pvc, pv) && !volume.CheckVolumeModeMismatches(&pvc.Spec, &pv.Spec) {
			record(ruleAccessModes, decisionAllowed)
			return nil
		}
	}
	record(ruleAccessModes, decisionWarned)
	return admission.Warnings{fmt.Sprintf("StorageClass %s does not provision volumes, and none of its %d unbound PersistentVolume(s) offers access modes %s with this volume mode: the claim stays Pending until one does",
		className, len(pvs), joinModes(pvc.Spec.AccessModes))}
}

// readOnlyWarning warns about a ReadOnlyMany-only claim that would get a new,
// empty volume nobody can write.
func (v *pvcValidator) readOnlyWarning(pvc *corev1.PersistentVolumeClaim) string {
	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadOnlyMany ||
		pvc.Spec.DataSource != nil || pvc.Spec.DataSourceRef != nil || pvc.Spec.VolumeName != "" {
		return ""
	}
	if class := volume.GetPersistentVolumeClaimClass(pvc); class != "" {
		for _, pv := range v.cluster.UnboundPersistentVolumes(class) {
			if pv.Status.Phase == corev1.VolumeAvailable && slices.Contains(pv.Spec.AccessModes, corev1.ReadOnlyMany) {
				return ""
			}
		}
	}
	return "the claim is ReadOnlyMany only, without dataSource and without a matching PersistentVolume: a new volume would be empty and could never be written"
}
