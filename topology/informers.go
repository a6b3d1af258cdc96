package topology

import (
	"fmt"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// InformerSnapshot is a Snapshot over the informers of a shared informer
// factory. Create it before starting the factory.
type InformerSnapshot struct {
	indexedSnapshot
	synced []cache.InformerSynced
}

// NewInformerSnapshot registers the informers and indexes volplace needs with
// the factory.
func NewInformerSnapshot(factory informers.SharedInformerFactory) (*InformerSnapshot, error) {
	core, storage := factory.Core().V1(), factory.Storage().V1()
	type informer struct {
		inf      cache.SharedIndexInformer
		indexers cache.Indexers
		into     *cache.Indexer
	}
	s := &InformerSnapshot{}
	for _, i := range []informer{
		{core.Nodes().Informer(), nil, &s.nodes},
		{storage.CSINodes().Informer(), nil, &s.csiNodes},
		{storage.CSIDrivers().Informer(), nil, &s.csiDrivers},
		{core.PersistentVolumes().Informer(), pvIndexers(), &s.pvs},
		{core.PersistentVolumeClaims().Informer(), nil, &s.pvcs},
		{storage.StorageClasses().Informer(), nil, &s.classes},
		{storage.CSIStorageCapacities().Informer(), capacityIndexers(), &s.capacities},
		{core.Pods().Informer(), podIndexers(), &s.pods},
		{storage.VolumeAttachments().Informer(), attachmentIndexers(), &s.attachments},
	} {
		if len(i.indexers) > 0 {
			if err := i.inf.AddIndexers(i.indexers); err != nil {
				return nil, fmt.Errorf("adding indexers: %w", err)
			}
		}
		*i.into = i.inf.GetIndexer()
		s.synced = append(s.synced, i.inf.HasSynced)
	}
	return s, nil
}

// HasSynced reports whether every informer has completed its first list.
func (s *InformerSnapshot) HasSynced() bool {
	for _, synced := range s.synced {
		if !synced() {
			return false
		}
	}
	return true
}

// Synced returns the informers' HasSynced functions, for
// cache.WaitForCacheSync.
func (s *InformerSnapshot) Synced() []cache.InformerSynced { return s.synced }
