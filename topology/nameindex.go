package topology

import (
	"hash/maphash"
	"sync/atomic"
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
	info atomic.Pointer[NodeInfo]
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

// find returns the slot of a name, or the free slot where it would go.
func (x *nameIndex) find(name []byte) *nameSlot {
	h := x.hash(name)
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		switch sh := s.hash.Load(); {
		case sh == 0:
			return s
		case sh == h && s.name == string(name):
			return s
		}
	}
}

// get returns the NodeInfo of a name, nil when the table has none.
func (x *nameIndex) get(name []byte) *NodeInfo {
	s := x.find(name)
	if s.hash.Load() == 0 {
		return nil
	}
	return s.info.Load()
}

// full reports whether one more name would fill the table more than half:
// the caller must then move the live names to a bigger table.
func (x *nameIndex) full() bool { return 2*(x.used+1) > len(x.slots) }

// set stores a name's NodeInfo, nil to delete it. The caller holds the node
// table's lock, and has made room (full) for a name new to the table.
func (x *nameIndex) set(name string, info *NodeInfo) {
	s := x.find([]byte(name))
	if s.hash.Load() == 0 {
		if info == nil {
			return
		}
		s.name = name
		s.info.Store(info)
		s.hash.Store(x.hash([]byte(name))) // publishes the slot
		x.used++
		return
	}
	s.info.Store(info)
}

// getAll sets infos[i] to the NodeInfo of names[i], nil when the table has
// none. Looking names up one by one, the CPU waits for each slot, then for
// its name and NodeInfo, in turn; getAll first reads the slots of every
// name, then their names and NodeInfos, in loops whose loads do not depend
// on each other, so that the CPU fetches them in parallel. Batches of a few
// dozen names keep what the first loops fetched in the fastest caches.
func (x *nameIndex) getAll(names [][]byte, infos []*NodeInfo) {
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
				if info := s.info.Load(); info != nil {
					sum += uint64(info.Index)
				}
			}
		}
		if sum == 1<<64-1 { // keeps the loads, as a sum they might make
			touchSink.Add(1)
		}
		for i, name := range part {
			infos[lo+i] = x.get(name)
		}
	}
}

// touchSink is where touching loops leave their sum, so that the compiler
// keeps their loads.
var touchSink atomic.Uint64
