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
// lookup that neither locks nor allocates. Its label index lists the nodes
// by label.
type nodeTable struct {
	mu     sync.Mutex // serializes writers
	byName map[string]*NodeInfo
	// next is the Index of the next new name. Indexes are not reused by
	// other names: with nodes that come and go under new names, requests'
	// bit sets grow by a bit per name ever seen (a restart starts over).
	next atomic.Int64
	// index answers readers; writers replace it when it fills up.
	index  atomic.Pointer[nameIndex]
	labels *labelIndex
}

func newNodeTable() *nodeTable {
	t := &nodeTable{byName: map[string]*NodeInfo{}, labels: newLabelIndex()}
	t.index.Store(newNameIndex(0))
	return t
}

// set replaces a name's entry with a copy changed by change; the entry goes
// away when it holds neither object.
func (t *nodeTable) set(name string, change func(*NodeInfo)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	index := t.index.Load()
	// A new NodeInfo, not a copy of the old one, whose view shares nothing
	// with the old one's.
	info := &NodeInfo{Index: -1}
	old := t.byName[name]
	if old != nil {
		info.Node, info.CSINode, info.Index = old.Node, old.CSINode, old.Index
	} else if i, ok := index.indexOf(name); ok {
		info.Index = i
	}
	change(info)
	if info.Index < 0 {
		info.Index = int(t.next.Add(1) - 1)
	}
	t.trackLabels(old, info)
	if info.Node == nil && info.CSINode == nil {
		delete(t.byName, name)
		index.set(name, nil, info.Index)
		return
	}
	if info.Node != nil {
		info.view.reset(info.Node, info.CSINode)
	}
	t.byName[name] = info
	if index.get([]byte(name)) == nil && index.full() {
		// A new table of the live names, at most a quarter full.
		index = newNameIndex(4 * (len(t.byName) + 1))
		for n, i := range t.byName {
			index.set(n, i.found(), i.Index)
		}
		t.index.Store(index)
		return
	}
	index.set(name, info.found(), info.Index)
}

// found is the NodeInfo the name index returns for the entry: none while
// the node has only its CSINode.
func (info *NodeInfo) found() *NodeInfo {
	if info.Node == nil {
		return nil
	}
	return info
}

// trackLabels moves the node from the label index entries of its old
// labels to those of its new ones.
func (t *nodeTable) trackLabels(old, info *NodeInfo) {
	var before, after map[string]string
	had := old != nil && old.Node != nil
	if had {
		before = old.Node.Labels
	}
	if info.Node != nil {
		after = info.Node.Labels
	}
	if had || info.Node != nil {
		t.labels.update(info.Index, before, after, !had, info.Node == nil)
	}
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
	return info, info != nil
}

// indexLimit is more than every Index handed out so far.
func (t *nodeTable) indexLimit() int { return int(t.next.Load()) }

// NodeInfo returns the named node with its CSINode, without allocating.
func (s *indexedSnapshot) NodeInfo(name []byte) (*NodeInfo, bool) { return s.table.get(name) }

// NodeRef is a node found by name in the node table, with what the table
// itself holds of it: a lookup does not read the NodeInfo.
type NodeRef struct {
	// Info is nil when the table holds no Node of the name.
	Info  *NodeInfo
	Index int // Info.Index
	Name  string
}

// NodeInfos sets refs[i] to the node named names[i], without allocating:
// faster than NodeInfo one by one when the table is not in the CPU caches.
func (s *indexedSnapshot) NodeInfos(names [][]byte, refs []NodeRef) {
	s.table.index.Load().getAll(names, refs)
}

// NodeIndexLimit is more than the Index of every node held so far.
func (s *indexedSnapshot) NodeIndexLimit() int { return s.table.indexLimit() }
