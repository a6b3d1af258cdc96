package topology

import (
	"slices"
	"sync"
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

// nodeSet is a set of node indexes.
type nodeSet []uint64

func newNodeSet(limit int) nodeSet { return make(nodeSet, (limit+63)/64) }

// has reports whether the set holds index; an index past the set's limit,
// a node newer than the set, is not in it.
func (s nodeSet) has(index int) bool {
	return index>>6 < len(s) && s[index>>6]&(1<<(index&63)) != 0
}

func (s nodeSet) addAll(list []int32) {
	for _, i := range list {
		if int(i)>>6 < len(s) {
			s[i>>6] |= 1 << (i & 63)
		}
	}
}

// matching returns the nodes that the selector admits, among those indexed
// so far, whose indexes are below the returned limit; and false when it
// cannot tell: a selector with requirements on node names or numeric
// comparisons is tested node by node.
func (x *labelIndex) matching(sel *nodeSelector) (nodeSet, int, bool) {
	for _, t := range sel.terms {
		if len(t.names) > 0 {
			return nil, 0, false
		}
		for _, r := range t.labels {
			switch r.op {
			case opIn, opNotIn, opExists, opDoesNotExist:
			default:
				return nil, 0, false
			}
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	limit := x.limit
	out := newNodeSet(limit)
	term := newNodeSet(limit)
	req := newNodeSet(limit)
	for _, t := range sel.terms {
		term.addAll(x.nodes)
		for _, r := range t.labels {
			clear(req)
			switch r.op {
			case opIn, opNotIn:
				for _, v := range r.values {
					req.addAll(x.values[r.key][v])
				}
			case opExists, opDoesNotExist:
				req.addAll(x.keys[r.key])
			}
			negate := r.op == opNotIn || r.op == opDoesNotExist
			for w := range term {
				if negate {
					term[w] &^= req[w]
				} else {
					term[w] &= req[w]
				}
			}
		}
		for w := range out {
			out[w] |= term[w]
		}
		clear(term)
	}
	return out, limit, true
}
