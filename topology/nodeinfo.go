package topology

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// NodeInfo is a node as the rules read it: the Node with its CSINode, and a
// view of both laid out for the hot path (nodeView). A NodeInfo is
// immutable; a change to either object replaces it.
type NodeInfo struct {
	// Node is nil while the store knows only the node's CSINode.
	Node *corev1.Node
	// CSINode is nil when the node has none.
	CSINode *storagev1.CSINode
	// Index is unique among every node the store has held, and kept across
	// updates of the node: a request can mark the nodes it has seen in a
	// bit set instead of a map of names.
	Index int

	view nodeView // when Node is not nil
}

// NewNodeInfo returns the NodeInfo of a node, its CSINode and its index.
func NewNodeInfo(node *corev1.Node, csiNode *storagev1.CSINode, index int) *NodeInfo {
	info := &NodeInfo{Node: node, CSINode: csiNode, Index: index}
	if node != nil {
		info.view.reset(node, csiNode)
	}
	return info
}

// Name is the node's name.
func (info *NodeInfo) Name() string { return info.view.name }

// Touch reads the memory the rules read of the node, and returns a value
// that depends on it. Evaluating nodes one after the other, the CPU waits
// for each node's memory in turn; touching a few dozen nodes first, in a
// loop whose loads do not depend on each other, lets it fetch their memory
// in parallel. It pays when the nodes are not in the CPU caches, as between
// two requests from kube-scheduler.
func (info *NodeInfo) touch() int { return info.view.touch() }
