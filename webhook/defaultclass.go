package webhook

import (
	"fmt"
	"slices"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
)

// isDefaultClass reports whether a class is marked as a default, by
// Kubernetes' GA or beta annotation or by volplace's own.
func isDefaultClass(class *storagev1.StorageClass) bool {
	for _, ann := range []string{annIsDefaultClass, annBetaIsDefaultClass, AnnDefaultClass} {
		if class.Annotations[ann] == "true" {
			return true
		}
	}
	return false
}

// defaultClasses returns the default classes, newest first, then by name,
// the order kube-apiserver picks from.
func defaultClasses(classes []*storagev1.StorageClass) []*storagev1.StorageClass {
	var out []*storagev1.StorageClass
	for _, c := range classes {
		if isDefaultClass(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *storagev1.StorageClass) int {
		if c := b.CreationTimestamp.Compare(a.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
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
	defaults := defaultClasses(classes)
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
