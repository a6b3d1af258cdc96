package topology

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-helpers/storage/volume"
)

// Snapshot is a read-only view of the cluster objects the rules read, with the
// indexes the hot path needs. Implementations must be safe for concurrent use
// and must not call the API server. Returned objects are shared: never
// modify them.
type Snapshot interface {
	Node(name string) (*corev1.Node, bool)
	Nodes() []*corev1.Node
	// NodeInfo returns the named node with its CSINode, without allocating:
	// the extender's lookup of each candidate.
	NodeInfo(name []byte) (*NodeInfo, bool)
	// NodeInfos sets refs[i] to the node named names[i] (a nil Info when
	// there is none): NodeInfo for many names, faster when the cache is
	// cold.
	NodeInfos(names [][]byte, refs []NodeRef)
	// NodeIndexLimit is more than the NodeInfo.Index of every node held so
	// far.
	NodeIndexLimit() int
	CSINode(name string) (*storagev1.CSINode, bool)
	CSIDriver(name string) (*storagev1.CSIDriver, bool)
	PersistentVolume(name string) (*corev1.PersistentVolume, bool)
	PersistentVolumeClaim(namespace, name string) (*corev1.PersistentVolumeClaim, bool)
	StorageClass(name string) (*storagev1.StorageClass, bool)
	StorageClasses() []*storagev1.StorageClass

	// UnboundPersistentVolumes lists the PVs of a storage class ("" for PVs
	// without one) that are not Bound: the static binding candidates.
	UnboundPersistentVolumes(class string) []*corev1.PersistentVolume
	// CapacitiesByClass lists the CSIStorageCapacity objects of a class.
	CapacitiesByClass(class string) []*storagev1.CSIStorageCapacity
	// CapacityIndex returns the class's capacities compiled for lookup by
	// node, kept until they change.
	CapacityIndex(class string) *CapacityIndex
	// PodsByClaim lists the pods that reference a claim, directly or as a
	// generic ephemeral volume.
	PodsByClaim(namespace, claim string) []*corev1.Pod
	// Pods lists every pod.
	Pods() []*corev1.Pod
	// AttachmentsByNode lists the VolumeAttachments of a node.
	AttachmentsByNode(node string) []*storagev1.VolumeAttachment
	// AttachmentsByPersistentVolume lists the VolumeAttachments of a PV.
	AttachmentsByPersistentVolume(pv string) []*storagev1.VolumeAttachment
	// VolumesInUse reports how many unique volumes of a CSI driver the
	// node's non-terminated pods and VolumeAttachments hold.
	VolumesInUse(node, driver string) int
	// VolumeNodes returns the nodes that hold a volume, by its key: the
	// driver, "/", and the volume handle.
	VolumeNodes(key string) []string
	// VolumePodNodes returns the nodes whose pods use a volume, by its key.
	VolumePodNodes(key string) []string
}

// Index names, shared by the informer-backed and the static snapshot.
const (
	indexByNode  = "volplace.io/node"
	indexByClaim = "volplace.io/claim"
	indexByClass = "volplace.io/class"
	indexByPV    = "volplace.io/pv"
)

func podIndexers() cache.Indexers {
	return cache.Indexers{
		indexByClaim: func(obj any) ([]string, error) {
			r, ok := obj.(*podRecord)
			if !ok {
				return nil, nil
			}
			keys := make([]string, 0, len(r.Volumes))
			for _, v := range r.Volumes {
				keys = append(keys, r.Namespace+"/"+v.Claim)
			}
			return keys, nil
		},
	}
}

func pvIndexers() cache.Indexers {
	return cache.Indexers{indexByClass: func(obj any) ([]string, error) {
		pv, ok := obj.(*corev1.PersistentVolume)
		if !ok || pv.Status.Phase == corev1.VolumeBound {
			return nil, nil
		}
		return []string{persistentVolumeClass(pv)}, nil
	}}
}

// claimIndexers index, by class, the claims kube-scheduler has assigned a
// node to (AnnSelectedNode): what capacity accounting reads.
func claimIndexers() cache.Indexers {
	return cache.Indexers{indexByClass: func(obj any) ([]string, error) {
		pvc, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok || pvc.Annotations[AnnSelectedNode] == "" {
			return nil, nil
		}
		return []string{volume.GetPersistentVolumeClaimClass(pvc)}, nil
	}}
}

func capacityIndexers() cache.Indexers {
	return cache.Indexers{indexByClass: func(obj any) ([]string, error) {
		c, ok := obj.(*storagev1.CSIStorageCapacity)
		if !ok {
			return nil, nil
		}
		return []string{c.StorageClassName}, nil
	}}
}

func attachmentIndexers() cache.Indexers {
	return cache.Indexers{
		indexByNode: func(obj any) ([]string, error) {
			va, ok := obj.(*storagev1.VolumeAttachment)
			if !ok {
				return nil, nil
			}
			return []string{va.Spec.NodeName}, nil
		},
		indexByPV: func(obj any) ([]string, error) {
			va, ok := obj.(*storagev1.VolumeAttachment)
			if !ok || va.Spec.Source.PersistentVolumeName == nil {
				return nil, nil
			}
			return []string{*va.Spec.Source.PersistentVolumeName}, nil
		},
	}
}

// indexedSnapshot implements Snapshot over client-go indexers, whether they
// are fed by informers or filled from files.
type indexedSnapshot struct {
	nodes, csiNodes, csiDrivers, pvs, pvcs, classes, capacities, pods, attachments cache.Indexer
	usage                                                                          *nodeUsage
	table                                                                          *nodeTable

	capacityMu      sync.Mutex
	capacityIndexes map[string]*CapacityIndex
}

// CapacityIndex returns the compiled capacities of a class, building them on
// first use after a change.
func (s *indexedSnapshot) CapacityIndex(class string) *CapacityIndex {
	s.capacityMu.Lock()
	defer s.capacityMu.Unlock()
	if idx, ok := s.capacityIndexes[class]; ok {
		return idx
	}
	idx := newCapacityIndex(s.CapacitiesByClass(class))
	idx.assign(byIndex[*corev1.PersistentVolumeClaim](s.pvcs, indexByClass, class), s.nodeView, s.PersistentVolume)
	if s.capacityIndexes == nil {
		s.capacityIndexes = map[string]*CapacityIndex{}
	}
	s.capacityIndexes[class] = idx
	return idx
}

// forgetCapacities drops the compiled capacities of a class after a change.
func (s *indexedSnapshot) forgetCapacities(c *storagev1.CSIStorageCapacity) {
	s.forgetClass(c.StorageClassName)
}

// forgetClaim drops the compiled capacities of a claim's class when the
// claim is assigned a node: it counts against its segment.
func (s *indexedSnapshot) forgetClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Annotations[AnnSelectedNode] != "" {
		s.forgetClass(volume.GetPersistentVolumeClaimClass(pvc))
	}
}

func (s *indexedSnapshot) forgetClass(class string) {
	s.capacityMu.Lock()
	defer s.capacityMu.Unlock()
	delete(s.capacityIndexes, class)
}

// nodeView returns the view of a node of the node table.
func (s *indexedSnapshot) nodeView(name string) (*nodeView, bool) {
	info, ok := s.table.get([]byte(name))
	if !ok {
		return nil, false
	}
	return &info.view, true
}

var _ Snapshot = &indexedSnapshot{}

func get[T any](idx cache.Indexer, key string) (T, bool) {
	var zero T
	obj, ok, err := idx.GetByKey(key)
	if err != nil || !ok {
		return zero, false
	}
	t, ok := obj.(T)
	return t, ok
}

func list[T any](objs []any) []T {
	out := make([]T, 0, len(objs))
	for _, obj := range objs {
		if t, ok := obj.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

func byIndex[T any](idx cache.Indexer, name, value string) []T {
	objs, err := idx.ByIndex(name, value)
	if err != nil {
		return nil
	}
	return list[T](objs)
}

func (s *indexedSnapshot) Node(name string) (*corev1.Node, bool) {
	return get[*corev1.Node](s.nodes, name)
}

func (s *indexedSnapshot) Nodes() []*corev1.Node { return list[*corev1.Node](s.nodes.List()) }

func (s *indexedSnapshot) CSINode(name string) (*storagev1.CSINode, bool) {
	return get[*storagev1.CSINode](s.csiNodes, name)
}

func (s *indexedSnapshot) CSIDriver(name string) (*storagev1.CSIDriver, bool) {
	return get[*storagev1.CSIDriver](s.csiDrivers, name)
}

func (s *indexedSnapshot) PersistentVolume(name string) (*corev1.PersistentVolume, bool) {
	return get[*corev1.PersistentVolume](s.pvs, name)
}

func (s *indexedSnapshot) PersistentVolumeClaim(namespace, name string) (*corev1.PersistentVolumeClaim, bool) {
	return get[*corev1.PersistentVolumeClaim](s.pvcs, namespace+"/"+name)
}

func (s *indexedSnapshot) StorageClass(name string) (*storagev1.StorageClass, bool) {
	return get[*storagev1.StorageClass](s.classes, name)
}

func (s *indexedSnapshot) StorageClasses() []*storagev1.StorageClass {
	return list[*storagev1.StorageClass](s.classes.List())
}

func (s *indexedSnapshot) UnboundPersistentVolumes(class string) []*corev1.PersistentVolume {
	return byIndex[*corev1.PersistentVolume](s.pvs, indexByClass, class)
}

func (s *indexedSnapshot) CapacitiesByClass(class string) []*storagev1.CSIStorageCapacity {
	return byIndex[*storagev1.CSIStorageCapacity](s.capacities, indexByClass, class)
}

func (s *indexedSnapshot) PodsByClaim(namespace, claim string) []*corev1.Pod {
	return pods(s.podsByClaim(namespace, claim))
}

func (s *indexedSnapshot) podsByClaim(namespace, claim string) []any {
	objs, err := s.pods.ByIndex(indexByClaim, namespace+"/"+claim)
	if err != nil {
		return nil
	}
	return objs
}

func (s *indexedSnapshot) Pods() []*corev1.Pod { return pods(s.pods.List()) }

func (s *indexedSnapshot) AttachmentsByNode(node string) []*storagev1.VolumeAttachment {
	return byIndex[*storagev1.VolumeAttachment](s.attachments, indexByNode, node)
}

func (s *indexedSnapshot) AttachmentsByPersistentVolume(pv string) []*storagev1.VolumeAttachment {
	return byIndex[*storagev1.VolumeAttachment](s.attachments, indexByPV, pv)
}
