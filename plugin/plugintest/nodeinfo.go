package plugintest

import (
	corev1 "k8s.io/api/core/v1"
	fwk "k8s.io/kube-scheduler/framework"
)

// nodeInfo is a NodeInfo that holds a node and nothing of its pods: the
// other methods panic (the embedded nil interface).
type nodeInfo struct {
	fwk.NodeInfo
	node *corev1.Node
}

// Node returns the node.
func (n nodeInfo) Node() *corev1.Node { return n.node }

// NodeInfo returns the node as the framework gives it to a plugin.
func NodeInfo(node *corev1.Node) fwk.NodeInfo { return nodeInfo{node: node} }

// NodeInfos returns the nodes as the framework gives them to a plugin, in
// the same order.
func NodeInfos(nodes []*corev1.Node) []fwk.NodeInfo {
	out := make([]fwk.NodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = NodeInfo(n)
	}
	return out
}
