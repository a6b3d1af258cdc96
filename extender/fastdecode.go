package extender

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"unicode/utf8"
)

// decodeRequest decodes an ExtenderArgs body, knowing nothing of the cache:
// the request's names are resolved afterwards (request.resolve).
//
// encoding/json scans a whole value before it decodes it, and scans a
// value again to hand it to an UnmarshalJSON method: with thousands of
// NodeNames, scanning the body twice byte by byte costs more than looking
// the nodes up. The body kube-scheduler sends has one shape, an object
// with the keys Pod, Nodes and NodeNames, and the NodeNames plain strings;
// decodeFast decodes that shape, giving the pod and the nodes alone to
// encoding/json and parsing the names itself. Any other body, and any body
// decodeFast finds a fault in, goes to encoding/json as a whole, so that
// both decoders accept the same bodies with the same results, and errors
// come from encoding/json alone (FuzzDecodeRequest checks this).
//
// The names decodeFast parses point into the body, a pooled buffer that the
// request keeps until it is released (request.release).
func decodeRequest(body io.Reader) (*request, error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(body); err == nil {
		if r, ok := decodeFast(buf.Bytes()); ok {
			r.body = buf
			return r, nil
		}
	}
	defer releaseBody(buf)
	// What was read, then the rest: encoding/json reads what it needs.
	return decodeJSON(json.NewDecoder(io.MultiReader(bytes.NewReader(buf.Bytes()), body)))
}

// bodyPool recycles request bodies; maxPooledBody caps what it keeps.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 4 << 20

func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		bodyPool.Put(buf)
	}
}

// decodeFast decodes an ExtenderArgs object whose keys are Pod, Nodes and
// NodeNames, each at most once and spelt so, whose NodeNames, when present,
// are an array of strings without escapes. It reports false for any other
// body, which encoding/json then decodes. The names point into data.
func decodeFast(data []byte) (_ *request, ok bool) {
	r := &request{}
	defer func() {
		if !ok {
			r.release()
		}
	}()
	w := &wireRequest{}
	p, ok := expect(data, '{')
	if !ok {
		return nil, false
	}
	if q, ok := expect(p, '}'); ok {
		p = q
	} else {
		var pod, nodes, nodeNames bool
		for {
			key, rest, ok := plainString(skipSpace(p))
			if !ok {
				return nil, false
			}
			if rest, ok = expect(rest, ':'); !ok {
				return nil, false
			}
			rest = skipSpace(rest)
			var end int
			switch string(key) {
			case "Pod":
				if end = valueEnd(rest); pod || end < 0 || json.Unmarshal(rest[:end], &w.Pod) != nil {
					return nil, false
				}
				pod = true
			case "Nodes":
				if end = valueEnd(rest); nodes || end < 0 || json.Unmarshal(rest[:end], &w.Nodes) != nil {
					return nil, false
				}
				nodes = true
			case "NodeNames":
				if nodeNames {
					return nil, false
				}
				nodeNames = true
				if bytes.HasPrefix(rest, []byte("null")) {
					end = len("null") // as absent: a Nodes-mode request
					break
				}
				if end, ok = r.names.parse(rest); !ok {
					return nil, false
				}
				w.NodeNames = &r.names
			default:
				return nil, false
			}
			p = skipSpace(rest[end:])
			if q, ok := expect(p, ','); ok {
				p = q
				continue
			}
			if q, ok := expect(p, '}'); ok {
				p = q
				break
			}
			return nil, false
		}
	}
	_ = p // what follows the object is not read, as with json.Decoder
	r.Pod, r.Nodes, r.NodeNames = w.Pod.pod(), w.Nodes, w.NodeNames
	return r, true
}

// skipSpace drops the white space JSON allows before a token.
func skipSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r') {
		p = p[1:]
	}
	return p
}

// expect drops white space, then the byte c, and reports whether it was
// there.
func expect(p []byte, c byte) ([]byte, bool) {
	p = skipSpace(p)
	if len(p) == 0 || p[0] != c {
		return p, false
	}
	return p[1:], true
}

// plainString parses a JSON string that has no escapes and is valid UTF-8
// (encoding/json would replace invalid bytes), returning its contents and
// what follows it.
func plainString(p []byte) (s, rest []byte, ok bool) {
	if len(p) == 0 || p[0] != '"' {
		return nil, p, false
	}
	end := bytes.IndexByte(p[1:], '"')
	if end < 0 {
		return nil, p, false
	}
	s = p[1 : 1+end]
	// Most names need no more than the eight-bytes-at-a-time test.
	if !jsonVerbatim(s) {
		for _, c := range s {
			if c < 0x20 || c == '\\' {
				return nil, p, false
			}
		}
		if !utf8.Valid(s) {
			return nil, p, false
		}
	}
	return s, p[2+end:], true
}

// valueEnd returns the length of the JSON value p starts with, found by
// its brackets and strings alone, or -1. The value is not validated: its
// decoder does that.
func valueEnd(p []byte) int {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(p[j:], '"')
				if k < 0 {
					return -1
				}
				j += k
				// The quote ends the string unless an odd number of
				// backslashes escapes it.
				slashes := 0
				for j-1-slashes > i && p[j-1-slashes] == '\\' {
					slashes++
				}
				if slashes%2 == 0 {
					break
				}
				j++
			}
			i = j
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth < 0 {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i // the end of a number or literal
			}
		}
	}
	if depth == 0 && len(p) > 0 {
		return len(p)
	}
	return -1
}
