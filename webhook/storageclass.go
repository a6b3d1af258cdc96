package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

var storageClassKind = schema.GroupKind{Group: "storage.k8s.io", Kind: "StorageClass"}

// storageClassDefaulter picks WaitForFirstConsumer for classes whose volumes
// are tied to nodes or zones.
type storageClassDefaulter struct {
	cluster topology.Cluster
	opts    Options
}

var _ admission.Defaulter[*storagev1.StorageClass] = &storageClassDefaulter{}

// Default sets volumeBindingMode on new classes. kube-apiserver defaults the
// field to Immediate before admission, so Immediate here usually means
// "unset": volplace replaces it with WaitForFirstConsumer when the
// provisioner is kubernetes.io/no-provisioner or a CSI driver that declares
// topology keys in its CSINodes, unless the class carries AnnKeepImmediate.
// The configuration's per-provisioner modes win over both.
func (d *storageClassDefaulter) Default(ctx context.Context, sc *storagev1.StorageClass) error {
	if op := operation(ctx); op != "" && op != "CREATE" {
		return nil
	}
	wffc := storagev1.VolumeBindingWaitForFirstConsumer
	if forced, ok := d.opts.BindingModes[sc.Provisioner]; ok {
		if sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != forced {
			sc.VolumeBindingMode = &forced
			record(ruleBindingMode, decisionMutated)
			warn(ctx, fmt.Sprintf("volumeBindingMode set to %s by volplace's configuration for provisioner %s", forced, sc.Provisioner))
		}
		return nil
	}
	if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == wffc || sc.Annotations[AnnKeepImmediate] == "true" {
		return nil
	}
	var why string
	switch {
	case sc.Provisioner == noProvisioner:
		why = "kubernetes.io/no-provisioner volumes are local and must bind where the pod is scheduled"
	case d.opts.TopologyWaitForFirstConsumer:
		if keys := driverTopologyKeys(d.cluster, sc.Provisioner); len(keys) > 0 {
			why = fmt.Sprintf("CSI driver %s declares topology keys (%s) on its nodes, so Immediate binding would provision before the pod's node is known", sc.Provisioner, strings.Join(keys, ", "))
		}
	}
	if why == "" {
		return nil
	}
	sc.VolumeBindingMode = &wffc
	record(ruleBindingMode, decisionMutated)
	warn(ctx, fmt.Sprintf("volumeBindingMode set to WaitForFirstConsumer: %s (annotate the class %s=true to keep Immediate)", why, AnnKeepImmediate))
	return nil
}

// driverTopologyKeys returns the topology keys a driver declares in any
// node's CSINode.
func driverTopologyKeys(cluster topology.Cluster, driver string) []string {
	keys := sets.New[string]()
	for _, node := range cluster.Nodes() {
		csiNode, ok := cluster.CSINode(node.Name)
		if !ok {
			continue
		}
		for _, d := range csiNode.Spec.Drivers {
			if d.Name == driver {
				keys.Insert(d.TopologyKeys...)
			}
		}
	}
	return sets.List(keys)
}

// storageClassValidator checks classes on create and update.
type storageClassValidator struct {
	cluster topology.Cluster
	opts    Options
}

var _ admission.Validator[*storagev1.StorageClass] = &storageClassValidator{}

// ValidateCreate denies Immediate binding for local volumes, a malformed
// access-modes annotation and, under the reject policy, a second default;
// it warns about allowedTopologies that no node matches.
func (v *storageClassValidator) ValidateCreate(_ context.Context, sc *storagev1.StorageClass) (admission.Warnings, error) {
	var errs field.ErrorList
	if sc.Provisioner == noProvisioner && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingImmediate {
		errs = append(errs, field.Invalid(field.NewPath("volumeBindingMode"), *sc.VolumeBindingMode,
			"kubernetes.io/no-provisioner volumes are local: use WaitForFirstConsumer so that claims bind where their pod is scheduled"))
	}
	return v.check(sc, errs)
}

// ValidateUpdate applies the checks that concern mutable fields.
func (v *storageClassValidator) ValidateUpdate(_ context.Context, _, sc *storagev1.StorageClass) (admission.Warnings, error) {
	return v.check(sc, nil)
}

// ValidateDelete allows every deletion.
func (v *storageClassValidator) ValidateDelete(context.Context, *storagev1.StorageClass) (admission.Warnings, error) {
	return nil, nil
}

func (v *storageClassValidator) check(sc *storagev1.StorageClass, errs field.ErrorList) (admission.Warnings, error) {
	annotations := field.NewPath("metadata", "annotations")
	if ann, ok := sc.Annotations[AnnAccessModes]; ok {
		if _, err := parseAccessModes(ann); err != nil {
			errs = append(errs, field.Invalid(annotations.Key(AnnAccessModes), ann, err.Error()))
		}
	}
	if v.opts.DefaultClassPolicy == PolicyReject && isDefaultClass(sc) {
		for _, other := range topology.DefaultClasses(v.cluster.StorageClasses(), isDefaultClass) {
			if other.Name != sc.Name {
				errs = append(errs, field.Forbidden(annotations, fmt.Sprintf("StorageClass %s is already the default, and volplace's default class policy is reject: only one class may be the default", other.Name)))
				break
			}
		}
	}
	if len(errs) > 0 {
		record(ruleClassChecks, decisionDenied)
		return nil, apierrors.NewInvalid(storageClassKind, sc.Name, errs)
	}
	warnings := v.topologyWarnings(sc)
	if len(warnings) > 0 {
		record(ruleClassChecks, decisionWarned)
	} else {
		record(ruleClassChecks, decisionAllowed)
	}
	return warnings, nil
}

// topologyWarnings names allowedTopologies keys and values no node carries.
func (v *storageClassValidator) topologyWarnings(sc *storagev1.StorageClass) admission.Warnings {
	if len(sc.AllowedTopologies) == 0 {
		return nil
	}
	values := map[string]sets.Set[string]{}
	for _, node := range v.cluster.Nodes() {
		for k, val := range node.Labels {
			if values[k] == nil {
				values[k] = sets.New[string]()
			}
			values[k].Insert(val)
		}
	}
	var warnings admission.Warnings
	for i, term := range sc.AllowedTopologies {
		for j, req := range term.MatchLabelExpressions {
			path := field.NewPath("allowedTopologies").Index(i).Child("matchLabelExpressions").Index(j)
			have, ok := values[req.Key]
			switch {
			case !ok:
				warnings = append(warnings, fmt.Sprintf("%s: no node has the label %s", path.Child("key"), req.Key))
			case !slices.ContainsFunc(req.Values, have.Has):
				warnings = append(warnings, fmt.Sprintf("%s: no node has %s set to any of %s", path.Child("values"), req.Key, strings.Join(req.Values, ", ")))
			}
		}
	}
	return warnings
}
