package store

import (
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-helpers/storage/volume"

	"github.com/volplace/volplace/topology"
)

// Index names, shared by the informer-backed and the static store.
const (
	indexByClaim = "volplace.io/claim"
	indexByClass = "volplace.io/class"
	indexByPV    = "volplace.io/pv"
)

func podIndexers() cache.Indexers {
	return cache.Indexers{
		indexByClaim: func(obj any) ([]string, error) {
			r, ok := asRecord(obj)
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
		return []string{volume.GetPersistentVolumeClass(pv)}, nil
	}}
}

// claimIndexers index, by class, the claims kube-scheduler has assigned a
// node to (AnnSelectedNode): what capacity accounting reads.
func claimIndexers() cache.Indexers {
	return cache.Indexers{indexByClass: func(obj any) ([]string, error) {
		pvc, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok || pvc.Annotations[topology.AnnSelectedNode] == "" {
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
		indexByPV: func(obj any) ([]string, error) {
			va, ok := obj.(*storagev1.VolumeAttachment)
			if !ok || va.Spec.Source.PersistentVolumeName == nil {
				return nil, nil
			}
			return []string{*va.Spec.Source.PersistentVolumeName}, nil
		},
	}
}

// Store holds the cluster objects the rules read, in client-go indexers
// fed by informers (New) or filled from files (NewStatic), with the
// indexes and counts that let the rules look up what they need without
// walking objects: the node table, the label index, the volumes in use per
// node and driver, and the compiled capacities per class. It implements
// topology.Cluster.
type Store struct {
	nodes, csiNodes, csiDrivers, pvs, pvcs, classes, capacities, pods, attachments cache.Indexer
	usage                                                                          *nodeUsage
	table                                                                          *nodeTable

	capacityMu      sync.Mutex
	capacityIndexes map[string]*topology.CapacityIndex
	// volumeVersions are the resource versions PVs had when the informer
	// first delivered them: their creation's, for PVs created while the
	// store runs (capacity accounting orders them against capacity
	// reports).
	volumeVersions volumeVersions
	// shrinks are what each CSIStorageCapacity's last write took off its
	// report, by namespace/name, guarded by capacityMu.
	shrinks map[string]shrink
	// assumed are the pods reserved on a node whose binding the informer
	// does not show yet (AssumePod).
	assumed assumed

	// synced are the informers' and handlers' HasSynced, none for a static
	// store; hasSynced latches: an informer does not unsync.
	synced    []cache.InformerSynced
	hasSynced atomic.Bool
}

// CapacityIndex returns the compiled capacities of a class, building them on
// first use after a change.
func (s *Store) CapacityIndex(class string) *topology.CapacityIndex {
	s.capacityMu.Lock()
	defer s.capacityMu.Unlock()
	if idx, ok := s.capacityIndexes[class]; ok {
		return idx
	}
	idx := topology.NewCapacityIndex(s.CapacitiesByClass(class),
		byIndex[*corev1.PersistentVolumeClaim](s.pvcs, indexByClass, class), s.nodeInfo, s.provisionedVolume, s.shrunk)
	if s.capacityIndexes == nil {
		s.capacityIndexes = map[string]*topology.CapacityIndex{}
	}
	s.capacityIndexes[class] = idx
	return idx
}

// shrink is how many bytes a write took off a CSIStorageCapacity's
// report, and the resource version it wrote.
type shrink struct {
	version string
	bytes   int64
}

// recordShrink records by how much an update lowered a capacity's report;
// an update that did not lower it, or the capacity's deletion (old and c
// the same object), forgets the last shrink.
func (s *Store) recordShrink(old, c *storagev1.CSIStorageCapacity) {
	key := c.Namespace + "/" + c.Name
	s.capacityMu.Lock()
	defer s.capacityMu.Unlock()
	if old.Capacity == nil || c.Capacity == nil || c.Capacity.Cmp(*old.Capacity) >= 0 {
		delete(s.shrinks, key)
		return
	}
	if s.shrinks == nil {
		s.shrinks = map[string]shrink{}
	}
	s.shrinks[key] = shrink{version: c.ResourceVersion, bytes: old.Capacity.Value() - c.Capacity.Value()}
}

// shrunk returns by how much the capacity's last write lowered its report,
// 0 if unknown. Call with capacityMu held.
func (s *Store) shrunk(c *storagev1.CSIStorageCapacity) int64 {
	if sh, ok := s.shrinks[c.Namespace+"/"+c.Name]; ok && sh.version == c.ResourceVersion {
		return sh.bytes
	}
	return 0
}

// forgetCapacities drops the compiled capacities of a class after a change.
func (s *Store) forgetCapacities(c *storagev1.CSIStorageCapacity) {
	s.forgetClass(c.StorageClassName)
}

// forgetClaim drops the compiled capacities of a claim's class when the
// claim is assigned a node: it counts against its segment.
func (s *Store) forgetClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Annotations[topology.AnnSelectedNode] != "" {
		s.forgetClass(volume.GetPersistentVolumeClaimClass(pvc))
	}
}

func (s *Store) forgetClass(class string) {
	s.capacityMu.Lock()
	defer s.capacityMu.Unlock()
	delete(s.capacityIndexes, class)
}

// nodeInfo returns a node of the node table.
func (s *Store) nodeInfo(name string) (*topology.NodeInfo, bool) { return s.table.get([]byte(name)) }

var _ topology.Cluster = &Store{}

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

// Node returns a node by name.
func (s *Store) Node(name string) (*corev1.Node, bool) {
	return get[*corev1.Node](s.nodes, name)
}

// Nodes lists every node.
func (s *Store) Nodes() []*corev1.Node { return list[*corev1.Node](s.nodes.List()) }

// CSINode returns a node's CSINode.
func (s *Store) CSINode(name string) (*storagev1.CSINode, bool) {
	return get[*storagev1.CSINode](s.csiNodes, name)
}

// CSIDriver returns a CSIDriver by name.
func (s *Store) CSIDriver(name string) (*storagev1.CSIDriver, bool) {
	return get[*storagev1.CSIDriver](s.csiDrivers, name)
}

// PersistentVolume returns a PV by name.
func (s *Store) PersistentVolume(name string) (*corev1.PersistentVolume, bool) {
	return get[*corev1.PersistentVolume](s.pvs, name)
}

// provisionedVolume returns a PV with the earliest resource version the
// store saw it with, else its own (a static store).
func (s *Store) provisionedVolume(name string) (topology.ProvisionedVolume, bool) {
	pv, ok := s.PersistentVolume(name)
	if !ok {
		return topology.ProvisionedVolume{}, false
	}
	version, ok := s.volumeVersions.get(name)
	if !ok {
		version = pv.ResourceVersion
	}
	return topology.ProvisionedVolume{PV: pv, CreatedVersion: version}, true
}

// volumeVersions maps PV names to the first resource version seen.
type volumeVersions struct {
	mu       sync.Mutex
	versions map[string]string
}

// saw records a PV's version unless one is recorded.
func (v *volumeVersions) saw(pv *corev1.PersistentVolume) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.versions[pv.Name]; ok {
		return
	}
	if v.versions == nil {
		v.versions = map[string]string{}
	}
	v.versions[pv.Name] = pv.ResourceVersion
}

func (v *volumeVersions) forget(pv *corev1.PersistentVolume) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.versions, pv.Name)
}

func (v *volumeVersions) get(name string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	version, ok := v.versions[name]
	return version, ok
}

// PersistentVolumeClaim returns a claim by namespace and name.
func (s *Store) PersistentVolumeClaim(namespace, name string) (*corev1.PersistentVolumeClaim, bool) {
	return get[*corev1.PersistentVolumeClaim](s.pvcs, namespace+"/"+name)
}

// StorageClass returns a class by name.
func (s *Store) StorageClass(name string) (*storagev1.StorageClass, bool) {
	return get[*storagev1.StorageClass](s.classes, name)
}

// StorageClasses lists every class.
func (s *Store) StorageClasses() []*storagev1.StorageClass {
	return list[*storagev1.StorageClass](s.classes.List())
}

// UnboundPersistentVolumes lists the PVs of a class ("" for none) that
// are not Bound.
func (s *Store) UnboundPersistentVolumes(class string) []*corev1.PersistentVolume {
	return byIndex[*corev1.PersistentVolume](s.pvs, indexByClass, class)
}

// CapacitiesByClass lists the CSIStorageCapacity objects of a class.
func (s *Store) CapacitiesByClass(class string) []*storagev1.CSIStorageCapacity {
	return byIndex[*storagev1.CSIStorageCapacity](s.capacities, indexByClass, class)
}

// PodsByClaim lists the pods that use a claim, directly or as a generic
// ephemeral volume.
func (s *Store) PodsByClaim(namespace, claim string) []*corev1.Pod {
	return s.withAssumed(pods(s.podsByClaim(namespace, claim)))
}

func (s *Store) podsByClaim(namespace, claim string) []any {
	objs, err := s.pods.ByIndex(indexByClaim, namespace+"/"+claim)
	if err != nil {
		return nil
	}
	return objs
}

// Pods lists every pod, as the fields volplace keeps of it.
func (s *Store) Pods() []*corev1.Pod { return pods(s.pods.List()) }

// AttachmentsByPersistentVolume lists the VolumeAttachments of a PV.
func (s *Store) AttachmentsByPersistentVolume(pv string) []*storagev1.VolumeAttachment {
	return byIndex[*storagev1.VolumeAttachment](s.attachments, indexByPV, pv)
}
