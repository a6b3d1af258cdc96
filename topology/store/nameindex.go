package store

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/volplace/volplace/topology"
)

// nameIndex finds a node's NodeInfo by name without locking, in one array
// of slots. A lookup usually reads one slot, which holds the name's hash,
// the name and the NodeInfo, where a Go map would read a control word,
// then a slot, then the NodeInfo it points to, one after the other.
//
// It is an open-addressing hash table with linear probing, written by one
// goroutine at a time (the node table's lock) and read by any number: a
// writer fills a free slot's name and NodeInfo before it publishes the
// slot's hash, so a reader that sees the hash sees the rest. A slot, once
// used, keeps its name: a deleted node leaves its slot with a nil NodeInfo,
// which a node of the same name takes again. Deleted slots count against
// the table's load, and a table too full is replaced by a fresh copy of
// its live slots.
type nameIndex struct {
	seed  maphash.Seed
	mask  uint64
	slots []nameSlot
	used  int // slots with a hash, live or deleted
}

type nameSlot struct {
	hash atomic.Uint64 // 0 marks a free slot
	name string
	// index is the name's NodeInfo.Index, kept while the slot is: a node
	// that comes back under the same name gets its index again.
	index int
	info  atomic.Pointer[topology.NodeInfo] // nil while the name has no Node
}

// minNameIndexSlots is the size of an empty table.
const minNameIndexSlots = 64

func newNameIndex(slots int) *nameIndex {
	n := minNameIndexSlots
	for n < slots {
		n *= 2
	}
	return &nameIndex{seed: maphash.MakeSeed(), mask: uint64(n - 1), slots: make([]nameSlot, n)}
}

func (x *nameIndex) hash(name []byte) uint64 {
	if h := maphash.Bytes(x.seed, name); h != 0 {
		return h
	}
	return 1
}

// find returns the slot of a name and true, or the free slot where it
// would go and false.
func (x *nameIndex) find(name []byte) (*nameSlot, bool) { return x.findHashed(name, x.hash(name)) }

// findHashed is find for a name whose hash is h. Whether the slot holds
// the name is decided from one load of its hash: a free slot may be taken
// by another name right after, and loading its hash again would then find
// that name's node.
func (x *nameIndex) findHashed(name []byte, h uint64) (*nameSlot, bool) {
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		switch sh := s.hash.Load(); {
		case sh == 0:
			return s, false
		case sh == h && s.name == string(name):
			return s, true
		}
	}
}

// get returns the NodeInfo of a name, nil when the table has none.
func (x *nameIndex) get(name []byte) *topology.NodeInfo {
	s, ok := x.find(name)
	if !ok {
		return nil
	}
	return s.info.Load()
}

// indexOf returns the index a name had, if its slot is still there.
func (x *nameIndex) indexOf(name string) (int, bool) {
	s, ok := x.find([]byte(name))
	if !ok {
		return 0, false
	}
	return s.index, true
}

// full reports whether one more name would fill the table more than half:
// the caller must then move the live names to a bigger table.
func (x *nameIndex) full() bool { return 2*(x.used+1) > len(x.slots) }

// set stores a name's NodeInfo, nil when it has no Node. The caller holds
// the node table's lock, has made room (full) for a name new to the table,
// and gives a name the index it had, if it had one (indexOf).
func (x *nameIndex) set(name string, info *topology.NodeInfo, index int) {
	s, ok := x.find([]byte(name))
	if !ok {
		if info == nil {
			return
		}
		s.name, s.index = name, index
		s.info.Store(info)
		s.hash.Store(x.hash([]byte(name))) // publishes the slot
		x.used++
		return
	}
	s.info.Store(info)
}

// getAll sets refs[i] to the node named names[i], found from the table
// alone, without reading its NodeInfo. Looking names up one by one, the CPU
// waits for each slot, then for its name, in turn; getAll first reads the
// slots of every name, then their names, in loops whose loads do not depend
// on each other, so that the CPU fetches them in parallel. Batches of a few
// dozen names keep what the first loops fetched in the fastest caches.
func (x *nameIndex) getAll(names [][]byte, refs []topology.NodeRef) {
	const batch = 32
	var hashes [batch]uint64
	for lo := 0; lo < len(names); lo += batch {
		part := names[lo:min(lo+batch, len(names))]
		var sum uint64
		for i, name := range part {
			hashes[i] = x.hash(name)
			sum += x.slots[hashes[i]&x.mask].hash.Load()
		}
		for i := range part {
			s := &x.slots[hashes[i]&x.mask]
			if s.hash.Load() == hashes[i] && len(s.name) > 0 {
				sum += uint64(s.name[0])
			}
		}
		if sum == 1<<64-1 { // keeps the loads, as a sum they might make
			touchSink.Add(1)
		}
		for i, name := range part {
			refs[lo+i] = topology.NodeRef{Index: -1}
			s, ok := x.findHashed(name, hashes[i])
			if !ok {
				continue
			}
			if info := s.info.Load(); info != nil {
				refs[lo+i] = topology.NodeRef{Info: info, Index: s.index, Name: s.name}
			}
		}
	}
}

// touchSink is where touching loops leave their sum, so that the compiler
// keeps their loads.
var touchSink atomic.Uint64
