package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// boundMessage is what kube-scheduler logs at --v=2 once the binding API
// call of a pod succeeded (pkg/scheduler/schedule_one.go).
const boundMessage = `"Successfully bound pod to node"`

// Binding is one "Successfully bound pod to node" line.
type Binding struct {
	// Time is klog's header timestamp (microseconds, local time).
	Time time.Time
	// Pod is "namespace/name"; Node the node's name.
	Pod, Node string
}

// errNotBinding marks a line that is not a binding.
var errNotBinding = errors.New("not a binding line")

// parseBinding reads a klog text line such as
//
//	I0722 18:07:38.123456   12345 schedule_one.go:481] "Successfully bound pod to node" pod="ns/p" node="n" evaluatedNodes=10 feasibleNodes=1
//
// klog's header has no year: the year of ref (a time shortly before the
// line) is used, or the next one when that would put the line more than
// half a year before ref (a run across New Year). It returns errNotBinding
// for any other line.
func parseBinding(line string, ref time.Time) (Binding, error) {
	_, msg, ok := strings.Cut(line, "] ")
	if !ok || !strings.HasPrefix(msg, boundMessage) {
		return Binding{}, errNotBinding
	}
	t, err := parseHeaderTime(line, ref)
	if err != nil {
		return Binding{}, err
	}
	kv := msg[len(boundMessage):]
	b := Binding{Time: t, Pod: quotedValue(kv, "pod"), Node: quotedValue(kv, "node")}
	if b.Pod == "" || b.Node == "" {
		return Binding{}, fmt.Errorf("binding line without pod or node: %q", line)
	}
	return b, nil
}

// parseHeaderTime reads "Lmmdd hh:mm:ss.uuuuuu" at the start of a klog line.
func parseHeaderTime(line string, ref time.Time) (time.Time, error) {
	const layout = "0102 15:04:05.000000"
	if len(line) < 1+len(layout) || !strings.ContainsRune("IWEF", rune(line[0])) {
		return time.Time{}, fmt.Errorf("no klog header in %q", line)
	}
	t, err := time.ParseInLocation(layout, line[1:1+len(layout)], ref.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("klog header of %q: %w", line, err)
	}
	t = t.AddDate(ref.Year()-t.Year(), 0, 0)
	if ref.Sub(t) > 183*24*time.Hour {
		t = t.AddDate(1, 0, 0)
	}
	return t, nil
}

// quotedValue returns the value of key="value" in klog's key/value list,
// unquoted; "" when absent.
func quotedValue(kv, key string) string {
	_, rest, ok := strings.Cut(kv, " "+key+`="`)
	if !ok {
		return ""
	}
	// klog quotes with strconv.Quote: find the closing quote, skipping
	// escaped ones.
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(`"` + rest[:i] + `"`)
			if err != nil {
				return ""
			}
			return v
		}
	}
	return ""
}

// bindingReader reads a growing log and collects its bindings, one per pod.
type bindingReader struct {
	ref      time.Time
	partial  []byte
	bindings []Binding
	seen     map[string]bool
}

func newBindingReader(ref time.Time) *bindingReader {
	return &bindingReader{ref: ref, seen: map[string]bool{}}
}

// Write takes the next bytes of the log; a line is read once complete.
func (r *bindingReader) Write(p []byte) (int, error) {
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(r.partial[:i])
		r.partial = r.partial[i+1:]
		b, err := parseBinding(line, r.ref)
		if errors.Is(err, errNotBinding) {
			continue
		}
		if err != nil {
			return len(p), err
		}
		if !r.seen[b.Pod] {
			r.seen[b.Pod] = true
			r.bindings = append(r.bindings, b)
		}
	}
}

// Bindings returns the bindings read so far, in log order.
func (r *bindingReader) Bindings() []Binding { return r.bindings }
