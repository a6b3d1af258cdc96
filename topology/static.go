package topology

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

// NewStaticSnapshot returns a Snapshot over a fixed set of objects, as loaded
// from YAML by `volplace simulate` or built by tests. Objects of other types
// are an error.
func NewStaticSnapshot(objs ...runtime.Object) (Snapshot, error) {
	newIndexer := func(indexers cache.Indexers) cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers)
	}
	s := &indexedSnapshot{
		nodes:       newIndexer(cache.Indexers{}),
		csiNodes:    newIndexer(cache.Indexers{}),
		csiDrivers:  newIndexer(cache.Indexers{}),
		pvs:         newIndexer(pvIndexers()),
		pvcs:        newIndexer(cache.Indexers{}),
		classes:     newIndexer(cache.Indexers{}),
		capacities:  newIndexer(capacityIndexers()),
		pods:        newIndexer(podIndexers()),
		attachments: newIndexer(attachmentIndexers()),
	}
	for _, obj := range objs {
		var store cache.Indexer
		switch obj.(type) {
		case *corev1.Node:
			store = s.nodes
		case *storagev1.CSINode:
			store = s.csiNodes
		case *storagev1.CSIDriver:
			store = s.csiDrivers
		case *corev1.PersistentVolume:
			store = s.pvs
		case *corev1.PersistentVolumeClaim:
			store = s.pvcs
		case *storagev1.StorageClass:
			store = s.classes
		case *storagev1.CSIStorageCapacity:
			store = s.capacities
		case *corev1.Pod:
			store = s.pods
		case *storagev1.VolumeAttachment:
			store = s.attachments
		default:
			return nil, fmt.Errorf("unsupported object type %T", obj)
		}
		if err := store.Add(obj); err != nil {
			return nil, fmt.Errorf("adding %T: %w", obj, err)
		}
	}
	return s, nil
}

// SupportedKind reports whether NewStaticSnapshot accepts objects of kind
// (as in an object's "kind" field).
func SupportedKind(kind string) bool {
	switch kind {
	case "Node", "CSINode", "CSIDriver", "PersistentVolume", "PersistentVolumeClaim",
		"StorageClass", "CSIStorageCapacity", "Pod", "VolumeAttachment":
		return true
	}
	return false
}
