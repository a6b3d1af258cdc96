package topology

import (
	"slices"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
)

// Annotations that mark a StorageClass as the cluster's default, read by
// kube-apiserver's DefaultStorageClass admission plugin.
const (
	AnnIsDefaultClass     = "storageclass.kubernetes.io/is-default-class"
	AnnBetaIsDefaultClass = "storageclass.beta.kubernetes.io/is-default-class"
)

// IsDefaultClass reports whether kube-apiserver's DefaultStorageClass
// plugin takes the class for a default.
func IsDefaultClass(class *storagev1.StorageClass) bool {
	return class.Annotations[AnnIsDefaultClass] == "true" || class.Annotations[AnnBetaIsDefaultClass] == "true"
}

// CompareDefaultClasses orders default classes as kube-apiserver picks
// among several: the newest first, then by name. It is a comparison
// function for slices.SortFunc.
func CompareDefaultClasses(a, b *storagev1.StorageClass) int {
	if c := b.CreationTimestamp.Compare(a.CreationTimestamp.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// DefaultClasses returns the classes that isDefault marks (IsDefaultClass
// when nil), in the order kube-apiserver picks from: the first is the
// class a new claim without one gets.
func DefaultClasses(classes []*storagev1.StorageClass, isDefault func(*storagev1.StorageClass) bool) []*storagev1.StorageClass {
	if isDefault == nil {
		isDefault = IsDefaultClass
	}
	var out []*storagev1.StorageClass
	for _, c := range classes {
		if isDefault(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, CompareDefaultClasses)
	return out
}
