package extender

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/volplace/volplace/topology"
)

// nodeNames decodes ExtenderArgs.NodeNames into candidates: each name is
// looked up in the cache, and duplicates dropped, without allocating per
// name.
type nodeNames struct {
	snap topology.Snapshot
	// parallelism is how many goroutines may look the names up.
	parallelism int
	present     bool
	cands       []candidate
}

// minNamesPerWorker is the fewest names worth a goroutine of their own.
const minNamesPerWorker = 1024

// nameBatch is how many names a lookup takes at once
// (topology.Snapshot.NodeInfos).
const nameBatch = 32

// UnmarshalJSON parses an array of strings. encoding/json has checked that
// data is valid JSON; anything but an array of plain strings (escapes, other
// types) goes through encoding/json itself.
func (n *nodeNames) UnmarshalJSON(data []byte) error {
	if end, ok := n.parse(data); ok && len(skipSpace(data[end:])) == 0 {
		return nil
	}
	return n.decodeSlowly(data)
}

// parse sets the candidates from the JSON array of strings without escapes
// that data starts with, and returns the array's length. It reports false,
// having set nothing, for anything else.
func (n *nodeNames) parse(data []byte) (int, bool) {
	rest, ok := expect(data, '[')
	if !ok {
		return 0, false
	}
	spans := getSpans()
	defer putSpans(spans)
	if rest, ok = expect(rest, ']'); ok {
		n.resolve(*spans)
		return len(data) - len(rest), true
	}
	for {
		name, after, ok := plainString(skipSpace(rest))
		if !ok {
			return 0, false
		}
		*spans = append(*spans, name)
		if rest, ok = expect(after, ','); ok {
			continue
		}
		if rest, ok = expect(after, ']'); !ok {
			return 0, false
		}
		n.resolve(*spans)
		return len(data) - len(rest), true
	}
}

// decodeSlowly decodes names the general way.
func (n *nodeNames) decodeSlowly(data []byte) error {
	var names []string
	if err := json.Unmarshal(data, &names); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("NodeNames: cannot unmarshal %s into a list of node names", typeErr.Value)
		}
		return fmt.Errorf("NodeNames: %w", err)
	}
	spans := make([][]byte, len(names))
	for i, name := range names {
		spans[i] = []byte(name)
	}
	n.resolve(spans)
	return nil
}

// resolve sets the candidates of names: it looks them up in batches, over
// up to parallelism goroutines when there are thousands, then drops
// duplicates.
func (n *nodeNames) resolve(names [][]byte) {
	n.present = true
	releaseCandidates(n.cands)
	cands := getCandidates(len(names))[:len(names)]
	lookup := func(lo, hi int) {
		var refs [nameBatch]topology.NodeRef
		for b := lo; b < hi; b += nameBatch {
			e := min(b+nameBatch, hi)
			n.snap.NodeInfos(names[b:e], refs[:])
			for i := b; i < e; i++ {
				if r := &refs[i-b]; r.Info != nil {
					cands[i] = candidate{name: r.Name, info: r.Info, index: r.Index}
				} else {
					cands[i] = candidate{name: string(names[i]), index: -1}
				}
			}
		}
	}
	workers := min(max(n.parallelism, 1), max(len(names)/minNamesPerWorker, 1))
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
	n.cands = dropDuplicates(cands, n.snap.NodeIndexLimit())
}

// dropDuplicates keeps the first candidate of each name. Known nodes are
// told apart by their index in a bit set; other names, rare, by a map.
func dropDuplicates(cands []candidate, indexLimit int) []candidate {
	seen := make([]uint64, (indexLimit+63)/64)
	var unknown map[string]struct{}
	out := cands[:0]
	for _, c := range cands {
		if c.info != nil && c.index < indexLimit {
			word, bit := c.index/64, uint64(1)<<(c.index%64)
			if seen[word]&bit != 0 {
				continue
			}
			seen[word] |= bit
		} else {
			if unknown == nil {
				unknown = map[string]struct{}{}
			}
			if _, dup := unknown[c.name]; dup {
				continue
			}
			unknown[c.name] = struct{}{}
		}
		out = append(out, c)
	}
	clear(cands[len(out):]) // the dropped ones' references
	return out
}

// spanPool recycles the name lists of parse.
var spanPool = sync.Pool{New: func() any { return new([][]byte) }}

func getSpans() *[][]byte { return spanPool.Get().(*[][]byte) }

func putSpans(s *[][]byte) {
	if cap(*s) > maxPooledCandidates {
		return
	}
	clear(*s) // the request's bytes
	*s = (*s)[:0]
	spanPool.Put(s)
}
