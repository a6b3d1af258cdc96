package topology

import (
	"slices"
	"strings"
	"sync"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
)

// minNamesPerWorker is the fewest names worth a goroutine of their own.
const minNamesPerWorker = 1024

// nameBatch is how many names a lookup takes at once (Cluster.NodeInfos).
const nameBatch = 32

// ResolveNodes returns the candidates of the named nodes, each name once, in
// the order of its first occurrence: the nodes kube-scheduler names in a
// request (NodeNames). Each name is looked up in the cache, a node it does
// not hold getting a nil Info; the lookups go in batches, over up to
// parallelism goroutines when there are thousands of names, and allocate
// nothing per name the cache holds. The candidates keep nothing of names,
// which may point into a buffer reused once ResolveNodes returns.
func ResolveNodes(c Cluster, names [][]byte, parallelism int) []Candidate {
	cands := getCandidates(len(names))[:len(names)]
	lookup := func(lo, hi int) {
		var refs [nameBatch]NodeRef
		for b := lo; b < hi; b += nameBatch {
			e := min(b+nameBatch, hi)
			c.NodeInfos(names[b:e], refs[:])
			for i := b; i < e; i++ {
				if r := &refs[i-b]; r.Info != nil {
					cands[i] = Candidate{Name: r.Name, Info: r.Info, index: int32(r.Index)}
				} else {
					cands[i] = Candidate{Name: string(names[i]), index: -1}
				}
			}
		}
	}
	workers := min(max(parallelism, 1), max(len(names)/minNamesPerWorker, 1))
	if workers == 1 {
		lookup(0, len(names))
	} else {
		var wg sync.WaitGroup
		per := (len(names) + workers - 1) / workers
		for lo := 0; lo < len(names); lo += per {
			wg.Go(func() { lookup(lo, min(lo+per, len(names))) })
		}
		wg.Wait()
	}
	return dropDuplicates(cands, c.NodeIndexLimit())
}

// dropDuplicates keeps the first candidate of each name. Known nodes are
// told apart by their index in a bit set; other names, rare, by a map.
func dropDuplicates(cands []Candidate, indexLimit int) []Candidate {
	seen := make([]uint64, (indexLimit+63)/64)
	var unknown map[string]struct{}
	out := cands[:0]
	for _, c := range cands {
		if i := int(c.index); c.Info != nil && i < indexLimit {
			word, bit := i/64, uint64(1)<<(i%64)
			if seen[word]&bit != 0 {
				continue
			}
			seen[word] |= bit
		} else {
			if unknown == nil {
				unknown = map[string]struct{}{}
			}
			if _, dup := unknown[c.Name]; dup {
				continue
			}
			unknown[c.Name] = struct{}{}
		}
		out = append(out, c)
	}
	clear(cands[len(out):]) // the dropped ones' references
	return out
}

// GivenNodes returns the candidates of nodes given as objects, each name
// once, in the order of its first occurrence: the nodes of a request
// without NodeNames. They are evaluated as given, not as the cache holds
// them.
func GivenNodes(nodes []corev1.Node) []Candidate {
	out := getCandidates(len(nodes))
	seen := make(map[string]struct{}, len(nodes))
	for i := range nodes {
		node := &nodes[i]
		if _, dup := seen[node.Name]; dup {
			continue
		}
		seen[node.Name] = struct{}{}
		out = append(out, Candidate{Name: node.Name, Node: node, index: -1})
	}
	return out
}

// AllNodes returns a candidate for every node the cluster holds, in name
// order: what the simulator evaluates a pod on.
func AllNodes(c Cluster) []Candidate {
	nodes := c.Nodes()
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	out := getCandidates(len(nodes))
	for _, node := range nodes {
		// The node table's entry, unless the node changed in between.
		if info, ok := c.NodeInfo([]byte(node.Name)); ok && info.Node == node {
			out = append(out, Candidate{Name: node.Name, Info: info, index: int32(info.Index)})
			continue
		}
		out = append(out, Candidate{Name: node.Name, Node: node, index: -1})
	}
	return out
}

// NodeCandidate returns the candidate of a node given as an object, as a
// kube-scheduler Filter plugin gets it: the node table's entry of that
// name, else the object itself, evaluated as given (as GivenNodes does), so
// that a node the scheduler's snapshot holds before the store has it is
// evaluated rather than reported unknown. It does not allocate.
func NodeCandidate(c Cluster, node *corev1.Node) Candidate {
	// NodeInfo reads the name only during the call and never writes it.
	name := unsafe.Slice(unsafe.StringData(node.Name), len(node.Name))
	if info, ok := c.NodeInfo(name); ok {
		return Candidate{Name: info.Name(), Info: info, index: int32(info.Index)}
	}
	return Candidate{Name: node.Name, Node: node, index: -1}
}
