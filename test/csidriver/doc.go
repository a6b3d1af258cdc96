// Package csidriver is a small CSI driver for volplace's storage tests. It
// speaks CSI v1 over gRPC, as a real driver does, to the real CSI sidecars
// (external-provisioner, external-attacher) and to kube-controller-manager's
// and kubelet's CSI clients, so that the objects volplace reads (CSINodes,
// CSIStorageCapacities, PersistentVolumes, VolumeAttachments) are made by
// Kubernetes from the driver's answers rather than written by a test.
//
// Storage is node-local: each node has a pool of a fixed size, and a volume
// is a directory in its node's pool. Every instance of a driver shares one
// root directory, whose state is kept in small JSON files under a file lock,
// so that the instances serving each node and the one serving the attacher
// agree:
//
//	<root>/nodes/<node>.json     a node's zone, pool size and attach limit
//	<root>/volumes/<id>.json     a volume: its name, node, size and the nodes it is published to
//	<root>/data/<id>/            the volume's content
//
// An instance is configured with its node's zone, pool size, attach limit
// (NodeGetInfo's max_volumes_per_node) and whether the driver needs attach
// (ControllerPublishVolume). Its accessible topology is the node's zone and
// name, under TopologyKeyZone and TopologyKeyNode.
//
// The driver passes SIG Storage's conformance suite, csi-sanity
// (sanity_test.go).
package csidriver
