package store

import (
	"slices"
	"sync"

	"github.com/volplace/volplace/topology"
)

// labelIndex lists, by node label, the indexes (NodeInfo.Index) of the
// nodes that carry it, kept current by the node table. With it, the set
// of nodes a label selector admits is computed once per pod from a few
// lists, and a candidate node is then tested by one bit, without reading
// the node: the volume node affinity of a zonal PV rejects most nodes, and
// reading each rejected node's labels is most of a request's cost when
// the node table is not in the CPU caches.
type labelIndex struct {
	mu sync.RWMutex
	// values holds, by label key and value, the nodes with that label;
	// keys, by label key, the nodes with the key; nodes, every node. The
	// lists are sorted.
	values map[string]map[string][]int32
	keys   map[string][]int32
	nodes  []int32
	// limit is more than every index the index has seen: a node with a
	// greater index is newer than the lists, and unknown to them.
	limit int
}

func newLabelIndex() *labelIndex {
	return &labelIndex{values: map[string]map[string][]int32{}, keys: map[string][]int32{}}
}

// update moves a node from its old labels to its new ones; old is nil for
// a node new to the index, and gone is true for a node that leaves it.
func (x *labelIndex) update(index int, old, labels map[string]string, added, gone bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.limit = max(x.limit, index+1)
	i := int32(index)
	for k, v := range old {
		if nv, ok := labels[k]; ok && nv == v && !gone {
			continue
		}
		byValue := x.values[k]
		if byValue[v] = remove(byValue[v], i); len(byValue[v]) == 0 {
			delete(byValue, v)
		}
		if len(byValue) == 0 {
			delete(x.values, k)
		}
		if _, ok := labels[k]; !ok || gone {
			if x.keys[k] = remove(x.keys[k], i); len(x.keys[k]) == 0 {
				delete(x.keys, k)
			}
		}
	}
	if gone {
		x.nodes = remove(x.nodes, i)
		return
	}
	if added {
		x.nodes = insert(x.nodes, i)
	}
	for k, v := range labels {
		if ov, ok := old[k]; ok && ov == v {
			continue
		}
		if x.values[k] == nil {
			x.values[k] = map[string][]int32{}
		}
		x.values[k][v] = insert(x.values[k][v], i)
		if _, ok := old[k]; !ok {
			x.keys[k] = insert(x.keys[k], i)
		}
	}
}

func insert(list []int32, i int32) []int32 {
	at, found := slices.BinarySearch(list, i)
	if found {
		return list
	}
	return slices.Insert(list, at, i)
}

func remove(list []int32, i int32) []int32 {
	at, found := slices.BinarySearch(list, i)
	if !found {
		return list
	}
	return slices.Delete(list, at, at+1)
}

// NodeLabels returns the label index read-locked, until Release.
func (s *Store) NodeLabels() topology.NodeLabelLists {
	s.table.labels.mu.RLock()
	return labelLists{s.table.labels}
}

// labelLists reads a labelIndex whose read lock it holds. Holding a single
// pointer, it is an interface value without an allocation.
type labelLists struct{ x *labelIndex }

func (l labelLists) Limit() int                    { return l.x.limit }
func (l labelLists) All() []int32                  { return l.x.nodes }
func (l labelLists) WithKey(key string) []int32    { return l.x.keys[key] }
func (l labelLists) WithLabel(k, v string) []int32 { return l.x.values[k][v] }
func (l labelLists) Release()                      { l.x.mu.RUnlock() }

var _ topology.NodeLabelIndex = &Store{}
