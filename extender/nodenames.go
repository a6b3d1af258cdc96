package extender

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// nodeNames decodes ExtenderArgs.NodeNames into the names' bytes, without
// allocating per name: the fast decoder's spans point into the request
// body, which the request keeps until the names are resolved
// (request.resolve).
type nodeNames struct {
	present bool
	// spans are the names, nil until some are decoded.
	spans *[][]byte
}

// UnmarshalJSON parses an array of strings. encoding/json has checked that
// data is valid JSON; anything but an array of plain strings (escapes, other
// types) goes through encoding/json itself. data belongs to encoding/json,
// so the names are parsed from a copy.
func (n *nodeNames) UnmarshalJSON(data []byte) error {
	data = bytes.Clone(data)
	if end, ok := n.parse(data); ok && len(skipSpace(data[end:])) == 0 {
		return nil
	}
	return n.decodeSlowly(data)
}

// parse sets the names from the JSON array of strings without escapes
// that data starts with, and returns the array's length. It reports false,
// having set nothing, for anything else.
func (n *nodeNames) parse(data []byte) (int, bool) {
	rest, ok := expect(data, '[')
	if !ok {
		return 0, false
	}
	spans := getSpans()
	if rest, ok = expect(rest, ']'); ok {
		n.set(spans)
		return len(data) - len(rest), true
	}
	for {
		name, after, ok := plainString(skipSpace(rest))
		if !ok {
			putSpans(spans)
			return 0, false
		}
		*spans = append(*spans, name)
		if rest, ok = expect(after, ','); ok {
			continue
		}
		if rest, ok = expect(after, ']'); !ok {
			putSpans(spans)
			return 0, false
		}
		n.set(spans)
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
	spans := getSpans()
	for _, name := range names {
		*spans = append(*spans, []byte(name))
	}
	n.set(spans)
	return nil
}

// set makes spans the names, in place of any decoded before (encoding/json
// decodes a key given twice twice; the last wins).
func (n *nodeNames) set(spans *[][]byte) {
	n.release()
	n.present, n.spans = true, spans
}

// names returns the decoded names.
func (n *nodeNames) names() [][]byte {
	if n.spans == nil {
		return nil
	}
	return *n.spans
}

// release returns the names' list for reuse; the names are gone.
func (n *nodeNames) release() {
	if n.spans != nil {
		putSpans(n.spans)
		n.spans = nil
	}
}

// spanPool recycles name lists; maxPooledSpans caps what it keeps.
var spanPool = sync.Pool{New: func() any { return new([][]byte) }}

const maxPooledSpans = 1 << 16

func getSpans() *[][]byte { return spanPool.Get().(*[][]byte) }

func putSpans(s *[][]byte) {
	if cap(*s) > maxPooledSpans {
		return
	}
	clear(*s) // the request's bytes
	*s = (*s)[:0]
	spanPool.Put(s)
}
