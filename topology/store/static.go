package store

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

// NewStatic returns a Store over a fixed set of objects, as loaded from YAML
// by `volplace simulate` or built by tests. Objects of other types are an
// error.
func NewStatic(objs ...runtime.Object) (*Store, error) {
	newIndexer := func(indexers cache.Indexers) cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers)
	}
	s := &Store{
		nodes:       newIndexer(cache.Indexers{}),
		csiNodes:    newIndexer(cache.Indexers{}),
		csiDrivers:  newIndexer(cache.Indexers{}),
		pvs:         newIndexer(pvIndexers()),
		pvcs:        newIndexer(claimIndexers()),
		classes:     newIndexer(cache.Indexers{}),
		capacities:  newIndexer(capacityIndexers()),
		pods:        newIndexer(podIndexers()),
		attachments: newIndexer(attachmentIndexers()),
		usage:       newNodeUsage(),
		table:       newNodeTable(),
	}
	for _, obj := range objs {
		// Keep pods, nodes, CSINodes and classes as the informers do (the
		// transform's trimming of managed fields from the other objects
		// would change the caller's objects).
		switch obj.(type) {
		case *corev1.Pod, *corev1.Node, *storagev1.CSINode, *storagev1.StorageClass:
			kept, err := CacheTransform(obj)
			if err != nil {
				return nil, err
			}
			obj = kept.(runtime.Object)
		}
		store, ok := s.storeFor(obj)
		if !ok {
			return nil, fmt.Errorf("unsupported object type %T", obj)
		}
		if err := store.Add(obj); err != nil {
			return nil, fmt.Errorf("adding %T: %w", obj, err)
		}
	}
	for _, node := range s.Nodes() {
		s.table.setNode(node.Name, node)
	}
	for _, obj := range s.csiNodes.List() {
		c := obj.(*storagev1.CSINode)
		s.table.setCSINode(c.Name, c)
	}
	s.refreshPods()
	for _, obj := range s.attachments.List() {
		s.refreshAttachment(obj.(*storagev1.VolumeAttachment))
	}
	return s, nil
}

func (s *Store) storeFor(obj runtime.Object) (cache.Indexer, bool) {
	switch obj.(type) {
	case *corev1.Node:
		return s.nodes, true
	case *storagev1.CSINode:
		return s.csiNodes, true
	case *storagev1.CSIDriver:
		return s.csiDrivers, true
	case *corev1.PersistentVolume:
		return s.pvs, true
	case *corev1.PersistentVolumeClaim:
		return s.pvcs, true
	case *storagev1.StorageClass:
		return s.classes, true
	case *storagev1.CSIStorageCapacity:
		return s.capacities, true
	case *corev1.Pod, *podRecord:
		return s.pods, true
	case *storagev1.VolumeAttachment:
		return s.attachments, true
	}
	return nil, false
}

// SupportedObject reports whether NewStatic accepts obj.
func SupportedObject(obj runtime.Object) bool {
	_, ok := (&Store{}).storeFor(obj)
	return ok
}

// SupportedKind reports whether NewStatic accepts objects of kind
// (as in an object's "kind" field).
func SupportedKind(kind string) bool {
	switch kind {
	case "Node", "CSINode", "CSIDriver", "PersistentVolume", "PersistentVolumeClaim",
		"StorageClass", "CSIStorageCapacity", "Pod", "VolumeAttachment":
		return true
	}
	return false
}
