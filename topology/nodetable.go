package topology

import (
	"sync"
	"sync/atomic"

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
// lookup that neither locks nor allocates.
type nodeTable struct {
	mu     sync.Mutex // serializes writers
	byName map[string]*NodeInfo
	next   atomic.Int64 // the Index of the next new name
	// index answers readers; writers replace it when it fills up.
	index atomic.Pointer[nameIndex]
}

func newNodeTable() *nodeTable {
	t := &nodeTable{byName: map[string]*NodeInfo{}}
	t.index.Store(newNameIndex(0))
	return t
}

// set replaces a name's entry with a copy changed by change; the entry goes
// away when it holds neither object.
func (t *nodeTable) set(name string, change func(*NodeInfo)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// A new NodeInfo, not a copy of the old one, whose view shares nothing
	// with the old one's.
	info := &NodeInfo{Index: -1}
	if old, ok := t.byName[name]; ok {
		info.Node, info.CSINode, info.Index = old.Node, old.CSINode, old.Index
	}
	change(info)
	if info.Node == nil && info.CSINode == nil {
		delete(t.byName, name)
		t.index.Load().set(name, nil)
		return
	}
	if info.Node != nil {
		info.view.reset(info.Node, info.CSINode)
	}
	if info.Index < 0 {
		info.Index = int(t.next.Add(1) - 1)
	}
	t.byName[name] = info
	index := t.index.Load()
	if index.get([]byte(name)) == nil && index.full() {
		// A new table of the live names, at most a quarter full.
		index = newNameIndex(4 * (len(t.byName) + 1))
		for n, i := range t.byName {
			index.set(n, i)
		}
		t.index.Store(index)
		return
	}
	index.set(name, info)
}

func (t *nodeTable) setNode(name string, node *corev1.Node) {
	t.set(name, func(i *NodeInfo) { i.Node = node })
}

func (t *nodeTable) setCSINode(name string, csiNode *storagev1.CSINode) {
	t.set(name, func(i *NodeInfo) { i.CSINode = csiNode })
}

// get returns the node named name, if the table holds its Node.
func (t *nodeTable) get(name []byte) (*NodeInfo, bool) {
	info := t.index.Load().get(name)
	if info == nil || info.Node == nil {
		return nil, false
	}
	return info, true
}

// indexLimit is more than every Index handed out so far.
func (t *nodeTable) indexLimit() int { return int(t.next.Load()) }

// NodeInfo returns the named node with its CSINode, without allocating.
func (s *indexedSnapshot) NodeInfo(name []byte) (*NodeInfo, bool) { return s.table.get(name) }

// NodeInfos sets infos[i] to the node named names[i], nil when the table
// holds no Node of that name, without allocating: faster than NodeInfo one
// by one when the table is not in the CPU caches.
func (s *indexedSnapshot) NodeInfos(names [][]byte, infos []*NodeInfo) {
	s.table.index.Load().getAll(names, infos)
	for i, info := range infos[:len(names)] {
		if info != nil && info.Node == nil {
			infos[i] = nil
		}
	}
}

// NodeIndexLimit is more than the Index of every node held so far.
func (s *indexedSnapshot) NodeIndexLimit() int { return s.table.indexLimit() }
