package store

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-helpers/storage/volume"
)

// New returns a Store over the informers of a shared informer factory: it
// registers the informers and indexes volplace needs with the factory, sets
// CacheTransform on those informers, and keeps its indexes current from
// their events. Call it before starting the factory.
func New(factory informers.SharedInformerFactory) (*Store, error) { return newStore(factory, true) }

// NewShared is New over a factory whose informers another component owns
// and reads, such as kube-scheduler's (a scheduler plugin): it sets no
// transform. An informer has one transform, which replaces the owner's
// (kube-scheduler trims its pods' managed fields), and CacheTransform
// changes what the owner reads: Pods become records, Nodes lose their
// taints and conditions. The store then reads whole objects, building a
// pod's record where it needs one, and costs the memory the owner's
// informers cost anyway. Call it before the factory starts.
func NewShared(factory informers.SharedInformerFactory) (*Store, error) {
	return newStore(factory, false)
}

func newStore(factory informers.SharedInformerFactory, transform bool) (*Store, error) {
	core, storage := factory.Core().V1(), factory.Storage().V1()
	type informer struct {
		inf      cache.SharedIndexInformer
		indexers cache.Indexers
		into     *cache.Indexer
	}
	s := &Store{}
	s.usage, s.table = newNodeUsage(), newNodeTable()
	for _, i := range []informer{
		{core.Nodes().Informer(), nil, &s.nodes},
		{storage.CSINodes().Informer(), nil, &s.csiNodes},
		{storage.CSIDrivers().Informer(), nil, &s.csiDrivers},
		{core.PersistentVolumes().Informer(), pvIndexers(), &s.pvs},
		{core.PersistentVolumeClaims().Informer(), claimIndexers(), &s.pvcs},
		{storage.StorageClasses().Informer(), nil, &s.classes},
		{storage.CSIStorageCapacities().Informer(), capacityIndexers(), &s.capacities},
		{core.Pods().Informer(), podIndexers(), &s.pods},
		{storage.VolumeAttachments().Informer(), attachmentIndexers(), &s.attachments},
	} {
		// The indexes and handlers read pods as records.
		if transform {
			if err := i.inf.SetTransform(CacheTransform); err != nil {
				return nil, fmt.Errorf("setting the cache transform: %w", err)
			}
		}
		if len(i.indexers) > 0 {
			if err := i.inf.AddIndexers(i.indexers); err != nil {
				return nil, fmt.Errorf("adding indexers: %w", err)
			}
		}
		*i.into = i.inf.GetIndexer()
		s.synced = append(s.synced, i.inf.HasSynced)
	}
	if err := s.addHandlers(handler{storage.CSIStorageCapacities().Informer(), cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { onObject(obj, s.forgetCapacities) },
		UpdateFunc: func(old, obj any) {
			onObject(old, func(o *storagev1.CSIStorageCapacity) {
				onObject(obj, func(c *storagev1.CSIStorageCapacity) { s.recordShrink(o, c) })
			})
			onObject(old, s.forgetCapacities)
			onObject(obj, s.forgetCapacities)
		},
		DeleteFunc: func(obj any) {
			onObject(obj, func(c *storagev1.CSIStorageCapacity) { s.recordShrink(c, c) })
			onObject(obj, s.forgetCapacities)
		},
	}}); err != nil {
		return nil, err
	}
	if err := s.trackNodes(core.Nodes().Informer(), storage.CSINodes().Informer()); err != nil {
		return nil, err
	}
	if err := s.trackUsage(core.Pods().Informer(), storage.VolumeAttachments().Informer(),
		core.PersistentVolumeClaims().Informer(), core.PersistentVolumes().Informer(), storage.StorageClasses().Informer()); err != nil {
		return nil, err
	}
	return s, nil
}

// trackNodes keeps the node table current from events.
func (s *Store) trackNodes(nodes, csiNodes cache.SharedIndexInformer) error {
	return s.addHandlers(
		handler{nodes, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onObject(obj, func(n *corev1.Node) { s.table.setNode(n.Name, n) }) },
			UpdateFunc: func(_, obj any) { onObject(obj, func(n *corev1.Node) { s.table.setNode(n.Name, n) }) },
			DeleteFunc: func(obj any) { onObject(obj, func(n *corev1.Node) { s.table.setNode(n.Name, nil) }) },
		}},
		handler{csiNodes, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onObject(obj, func(c *storagev1.CSINode) { s.table.setCSINode(c.Name, c) }) },
			UpdateFunc: func(_, obj any) { onObject(obj, func(c *storagev1.CSINode) { s.table.setCSINode(c.Name, c) }) },
			DeleteFunc: func(obj any) { onObject(obj, func(c *storagev1.CSINode) { s.table.setCSINode(c.Name, nil) }) },
		}},
	)
}

// trackUsage keeps the per-node volume counts current from events.
func (s *Store) trackUsage(pods, attachments, claims, volumes, classes cache.SharedIndexInformer) error {
	return s.addHandlers(
		handler{pods, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onPod(obj, s.refreshPodEvent) },
			UpdateFunc: func(_, obj any) { onPod(obj, s.refreshPodEvent) },
			DeleteFunc: func(obj any) {
				onPod(obj, func(r *podRecord) {
					s.assumed.set(podHolder(r), "")
					s.usage.set(podHolder(r), holding{})
				})
			},
		}},
		handler{attachments, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onObject(obj, s.refreshAttachment) },
			UpdateFunc: func(_, obj any) { onObject(obj, s.refreshAttachment) },
			DeleteFunc: func(obj any) {
				onObject(obj, func(va *storagev1.VolumeAttachment) { s.usage.set(attachmentHolder(va), holding{}) })
			},
		}},
		handler{claims, cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) { onObject(obj, s.refreshClaimObject) },
			UpdateFunc: func(old, obj any) {
				onObject(old, s.forgetClaim)
				onObject(obj, s.refreshClaimObject)
			},
			DeleteFunc: func(obj any) { onObject(obj, s.refreshClaimObject) },
		}},
		// Unbound claims count by their class's provisioner: a class that
		// arrives after the pods using it (informers start in any order)
		// updates every pod. Classes are few and rarely change.
		handler{classes, cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { s.refreshPods() },
		}},
		handler{volumes, cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) {
				onObject(obj, func(pv *corev1.PersistentVolume) {
					s.volumeVersions.saw(pv)
					s.forgetClass(volume.GetPersistentVolumeClass(pv))
				})
				onObject(obj, s.refreshVolume)
			},
			UpdateFunc: func(_, obj any) { onObject(obj, s.refreshVolume) },
			DeleteFunc: func(obj any) {
				onObject(obj, s.volumeVersions.forget)
				onObject(obj, s.refreshVolume)
			},
		}},
	)
}

// handler is an event handler for one informer.
type handler struct {
	inf cache.SharedIndexInformer
	h   cache.ResourceEventHandler
}

// addHandlers registers event handlers, and makes HasSynced wait until each
// has seen its informer's first list.
func (s *Store) addHandlers(handlers ...handler) error {
	for _, h := range handlers {
		reg, err := h.inf.AddEventHandler(h.h)
		if err != nil {
			return fmt.Errorf("adding event handler: %w", err)
		}
		s.synced = append(s.synced, reg.HasSynced)
	}
	return nil
}

func (s *Store) refreshClaimObject(pvc *corev1.PersistentVolumeClaim) {
	s.forgetClaim(pvc)
	s.refreshClaim(pvc.Namespace, pvc.Name)
}

// onObject calls f with the event's object, unwrapping a deletion whose
// final state is unknown.
func onObject[T any](obj any, f func(T)) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if t, ok := obj.(T); ok {
		f(t)
	}
}

// HasSynced reports whether every informer has completed its first list
// and every event handler has seen it; a static store always has.
func (s *Store) HasSynced() bool {
	if s.hasSynced.Load() {
		return true
	}
	for _, synced := range s.synced {
		if !synced() {
			return false
		}
	}
	s.hasSynced.Store(true)
	return true
}

// Synced returns the informers' HasSynced functions, for
// cache.WaitForCacheSync.
func (s *Store) Synced() []cache.InformerSynced { return s.synced }
