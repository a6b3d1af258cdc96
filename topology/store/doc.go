// Package store holds the cluster objects volplace's rules read, and the
// indexes that let the rules find them without walking objects: a Store
// implements topology.Cluster.
//
// New builds a Store over the informers of a shared informer factory,
// trimming what they cache (CacheTransform) and keeping its indexes current
// from their events; NewStatic builds one over objects loaded from files,
// for simulate, explain and tests. Its indexes:
//
//   - the node table (nodetable.go, nameindex.go): a NodeInfo per node,
//     found by name without locking or allocating;
//   - the label index (labelindex.go): nodes by label, which the node
//     affinity rule reads through topology.NodeLabelIndex;
//   - the volume usage (usage.go): unique volumes per node and CSI driver,
//     counted as topology.PodVolumes and topology.AttachmentVolume say;
//   - the compiled capacities per class (topology.NewCapacityIndex),
//     dropped when a capacity, a claim's selected node or a PV changes.
//
// store imports topology for the types the rules read and for how to count
// what they count; it decides nothing itself. It must not import the
// servers (extender, webhook), cmd or k8s.io/kubernetes, and never writes
// to the API server (test/layout checks the imports).
package store
