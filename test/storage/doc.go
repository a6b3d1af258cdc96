// Package storage runs volplace against a real storage stack: besides
// etcd, kube-apiserver, volplace and kube-scheduler (test/e2e's framework),
// kube-controller-manager binds claims, attaches volumes, runs StatefulSets
// and protects claims in use; per CSI driver, test/csidriver serves each
// node, registered the way kubelet registers a node plugin, with an
// external-provisioner per node (--node-deployment, publishing
// CSIStorageCapacity) and an external-attacher. So the PersistentVolumes,
// CSIStorageCapacities, CSINodes and VolumeAttachments volplace reads are
// made by Kubernetes from the driver's answers.
//
// TestKubelets runs real kubelets, each with a containerd of its own
// (harness.StartKubeletNode), where the driver registers through kubelet's
// plugin registration and pods run with their volumes mounted; it needs
// root and hack/storage-deps.sh, and skips without them. Elsewhere the nodes
// are API objects: pods are placed, their claims provisioned, bound and
// attached, but no container starts, so a pod counts as placed once its
// claims are Bound and, for a driver that attaches, its volumes attached.
//
// Each scenario starts its own driver on the suite's shared nodes, so that
// scenarios do not share capacity or attach slots and run in parallel.
// `make test-storage` runs the suite; docs/testing.md tells how to run one
// scenario by hand.
package storage
