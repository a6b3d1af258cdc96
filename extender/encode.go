package extender

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	extenderv1 "k8s.io/kube-scheduler/extender/v1"
)

// The answers are written by hand: encoding/json would build the failed
// nodes' maps only to sort their keys, which for thousands of nodes costs
// more than the evaluation. The field names are those encoding/json gives
// the protocol's types, which have no JSON tags.

// appendFilterResult appends the outcome as an ExtenderFilterResult.
func appendFilterResult(b []byte, o *filterOutcome) ([]byte, error) {
	b = append(b, `{"Nodes":`...)
	if o.nodes == nil {
		b = append(b, "null"...)
	} else {
		nodes, err := json.Marshal(o.nodes)
		if err != nil {
			return nil, err
		}
		b = append(b, nodes...)
	}
	b = append(b, `,"NodeNames":`...)
	if o.names == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, name := range *o.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, name)
		}
		b = append(b, ']')
	}
	// Most failed nodes share a few reason lines: each is escaped once.
	var message string
	var quoted []byte
	for _, unresolvable := range []bool{false, true} {
		if unresolvable {
			b = append(b, `,"FailedAndUnresolvableNodes":{`...)
		} else {
			b = append(b, `,"FailedNodes":{`...)
		}
		first := true
		for i := range o.cands {
			c := &o.cands[i]
			if c.Fits || c.Unresolvable != unresolvable {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, c.Name)
			b = append(b, ':')
			if quoted == nil || c.Message != message {
				message, quoted = c.Message, appendString(quoted[:0], c.Message)
			}
			b = append(b, quoted...)
		}
		b = append(b, '}')
	}
	return append(b, `,"Error":""}`...), nil
}

// appendPriorities appends a HostPriorityList.
func appendPriorities(b []byte, list extenderv1.HostPriorityList) []byte {
	b = append(b, '[')
	for i, p := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Host":`...)
		b = appendString(b, p.Host)
		b = append(b, `,"Score":`...)
		b = strconv.AppendInt(b, p.Score, 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. Node names and reasons are
// printable ASCII and are copied as they are; anything else goes through
// encoding/json, which also replaces invalid UTF-8.
func appendString(b []byte, s string) []byte {
	if !jsonVerbatim(s) {
		q, _ := json.Marshal(s) // a string always encodes
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// jsonVerbatim reports whether s stands in a JSON string as it is, in
// either direction: encoding/json writes it unchanged between quotes, and a
// decoder reads it unchanged. That is ASCII from 0x20 to 0x7f (DEL
// included) other than '"', '\\', '<', '>' and '&'. It tests eight bytes at
// a time.
func jsonVerbatim[T ~string | ~[]byte](s T) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// hasZero sets the high bit of a result byte for a zero byte of x.
	hasZero := func(x uint64) uint64 { return (x - ones) &^ x }
	for ; len(s) >= 8; s = s[8:] {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if (x|(x-0x20*ones)&^x|hasZero(x^'"'*ones)|hasZero(x^'\\'*ones)|
			hasZero(x^'<'*ones)|hasZero(x^'>'*ones)|hasZero(x^'&'*ones))&highs != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// maxPooledBuffer is the largest answer buffer kept for reuse: a filter
// answer for 5000 nodes takes about 400 KiB.
const maxPooledBuffer = 4 << 20

var buffers = sync.Pool{New: func() any { return new([]byte) }}

// getBuffer returns a buffer for an answer; putBuffer returns it.
func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		buffers.Put(b)
	}
}

// writeBytes writes a JSON body.
func writeBytes(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
