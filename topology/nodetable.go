package topology

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// NodeInfo is a node as the rules read it: the Node with its CSINode. A
// NodeInfo is immutable; a change to either object replaces it.
type NodeInfo struct {
	Node *corev1.Node
	// CSINode is nil when the node has none.
	CSINode *storagev1.CSINode
	// Index is unique among every node the snapshot has held, and kept
	// across updates of the node: a request can mark the nodes it has seen
	// in a bit set instead of a map of names.
	Index int

	view nodeView // when Node is not nil
}

// Name is the node's name.
func (info *NodeInfo) Name() string { return info.view.name }

// Touch reads the memory the rules read of the node, and returns a value
// that depends on it. Evaluating nodes one after the other, the CPU waits
// for each node's memory in turn; touching a few dozen nodes first, in a
// loop whose loads do not depend on each other, lets it fetch their memory
// in parallel. It pays when the nodes are not in the CPU caches, as between
// two requests from kube-scheduler.
func (info *NodeInfo) Touch() int { return info.view.touch() }

// nodeTable holds a NodeInfo per node name, kept current from Node and
// CSINode events, so that the extender finds a node and its CSINode with one
// lookup that does not allocate.
type nodeTable struct {
	mu     sync.RWMutex
	byName map[string]*NodeInfo
	next   int // the Index of the next new name
}

func newNodeTable() *nodeTable { return &nodeTable{byName: map[string]*NodeInfo{}} }

// set replaces a name's entry with a copy changed by change; the entry goes
// away when it holds neither object.
func (t *nodeTable) set(name string, change func(*NodeInfo)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	info := NodeInfo{Index: -1}
	if old, ok := t.byName[name]; ok {
		info = *old
	}
	change(&info)
	if info.Node == nil && info.CSINode == nil {
		delete(t.byName, name)
		return
	}
	if info.Node != nil {
		info.view = newNodeView(info.Node, info.CSINode)
	}
	if info.Index < 0 {
		info.Index = t.next
		t.next++
	}
	t.byName[name] = &info
}

func (t *nodeTable) setNode(name string, node *corev1.Node) {
	t.set(name, func(i *NodeInfo) { i.Node = node })
}

func (t *nodeTable) setCSINode(name string, csiNode *storagev1.CSINode) {
	t.set(name, func(i *NodeInfo) { i.CSINode = csiNode })
}

// get returns the node named name, if the table holds its Node.
func (t *nodeTable) get(name []byte) (*NodeInfo, bool) {
	t.mu.RLock()
	info, ok := t.byName[string(name)] // a lookup by converted bytes does not allocate
	t.mu.RUnlock()
	if !ok || info.Node == nil {
		return nil, false
	}
	return info, true
}

// indexLimit is more than every Index handed out so far.
func (t *nodeTable) indexLimit() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.next
}

// NodeInfo returns the named node with its CSINode, without allocating.
func (s *indexedSnapshot) NodeInfo(name []byte) (*NodeInfo, bool) { return s.table.get(name) }

// NodeIndexLimit is more than the Index of every node held so far.
func (s *indexedSnapshot) NodeIndexLimit() int { return s.table.indexLimit() }
