package store

import (
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/volplace/volplace/topology"
)

// nodeTable holds a NodeInfo per node name, kept current from Node and
// CSINode events, so that the extender finds a node and its CSINode with one
// lookup that neither locks nor allocates. Its label index lists the nodes
// by label.
type nodeTable struct {
	mu     sync.Mutex // serializes writers
	byName map[string]*topology.NodeInfo
	// next is the Index of the next new name. Indexes are not reused by
	// other names: with nodes that come and go under new names, requests'
	// bit sets grow by a bit per name ever seen (a restart starts over).
	next atomic.Int64
	// index answers readers; writers replace it when it fills up.
	index  atomic.Pointer[nameIndex]
	labels *labelIndex
}

func newNodeTable() *nodeTable {
	t := &nodeTable{byName: map[string]*topology.NodeInfo{}, labels: newLabelIndex()}
	t.index.Store(newNameIndex(0))
	return t
}

// set replaces a name's entry with a new one, changed by change; the entry
// goes away when it holds neither object.
func (t *nodeTable) set(name string, change func(*entry)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	index := t.index.Load()
	e := entry{index: -1}
	old := t.byName[name]
	if old != nil {
		e = entry{node: old.Node, csiNode: old.CSINode, index: old.Index}
	} else if i, ok := index.indexOf(name); ok {
		e.index = i
	}
	change(&e)
	if e.index < 0 {
		e.index = int(t.next.Add(1) - 1)
	}
	// A new NodeInfo, not a copy of the old one, whose view shares nothing
	// with the old one's.
	info := topology.NewNodeInfo(e.node, e.csiNode, e.index)
	t.trackLabels(old, info)
	if info.Node == nil && info.CSINode == nil {
		delete(t.byName, name)
		index.set(name, nil, info.Index)
		return
	}
	t.byName[name] = info
	if index.get([]byte(name)) == nil && index.full() {
		// A new table of the live names, at most a quarter full.
		index = newNameIndex(4 * (len(t.byName) + 1))
		for n, i := range t.byName {
			index.set(n, found(i), i.Index)
		}
		t.index.Store(index)
		return
	}
	index.set(name, found(info), info.Index)
}

// entry is what the table holds of a name while it changes.
type entry struct {
	node    *corev1.Node
	csiNode *storagev1.CSINode
	index   int
}

// found is the NodeInfo the name index returns for the entry: none while
// the node has only its CSINode.
func found(info *topology.NodeInfo) *topology.NodeInfo {
	if info.Node == nil {
		return nil
	}
	return info
}

// trackLabels moves the node from the label index entries of its old
// labels to those of its new ones.
func (t *nodeTable) trackLabels(old, info *topology.NodeInfo) {
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
	t.set(name, func(e *entry) { e.node = node })
}

func (t *nodeTable) setCSINode(name string, csiNode *storagev1.CSINode) {
	t.set(name, func(e *entry) { e.csiNode = csiNode })
}

// get returns the node named name, if the table holds its Node.
func (t *nodeTable) get(name []byte) (*topology.NodeInfo, bool) {
	info := t.index.Load().get(name)
	return info, info != nil
}

// indexLimit is more than every Index handed out so far.
func (t *nodeTable) indexLimit() int { return int(t.next.Load()) }

// NodeInfo returns the named node with its CSINode, without allocating.
func (s *Store) NodeInfo(name []byte) (*topology.NodeInfo, bool) { return s.table.get(name) }

// NodeInfos sets refs[i] to the node named names[i], without allocating:
// faster than NodeInfo one by one when the table is not in the CPU caches.
func (s *Store) NodeInfos(names [][]byte, refs []topology.NodeRef) {
	s.table.index.Load().getAll(names, refs)
}

// NodeIndexLimit is more than the Index of every node held so far.
func (s *Store) NodeIndexLimit() int { return s.table.indexLimit() }
