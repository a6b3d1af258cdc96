package extender

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// awkward are strings that a hand-written JSON encoder gets wrong first.
var awkward = []string{"", "node-a", `quote"d`, `back\slash`, "tab\there", "nul\x00", "<html>&amp;", "zoné", "日本", "bad\xffutf8", "\u2028line"}

func TestAppendFilterResult(t *testing.T) {
	var cands []topology.Candidate
	for i, s := range awkward {
		cands = append(cands,
			topology.Candidate{Name: "fits-" + s, Fits: true},
			topology.Candidate{Name: "fails-" + s, Message: "reason " + s, Unresolvable: i%2 == 0})
	}
	names := []string{}
	for _, c := range cands {
		if c.Fits {
			names = append(names, c.Name)
		}
	}
	// Reason lines shared by many nodes, as usual, in runs and interleaved.
	var shared []topology.Candidate
	for i, m := range []int{0, 0, 1, 1, 0, 2, 0, 2, 2} {
		shared = append(shared, topology.Candidate{Name: "n" + string(rune('a'+i)), Message: awkward[2+m] + " reason", Unresolvable: i%3 == 0})
	}
	tests := map[string]*filterOutcome{
		"names":          {names: &names, cands: cands},
		"shared reasons": {names: &[]string{}, cands: shared},
		"no candidates":  {names: &[]string{}},
		"nil names":      {},
		"nodes":          {nodes: &corev1.NodeList{Items: []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n<1>", Labels: map[string]string{"k": "v\x01"}}}}}, cands: cands},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := appendFilterResult(nil, o)
			if err != nil {
				t.Fatal(err)
			}
			// What encoding/json makes of the protocol's type, decoded the
			// way kube-scheduler decodes it.
			want, err := json.Marshal(o.Result())
			if err != nil {
				t.Fatal(err)
			}
			var got, wantResult extenderv1.ExtenderFilterResult
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("undecodable %s: %v", b, err)
			}
			if err := json.Unmarshal(want, &wantResult); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantResult, got); diff != "" {
				t.Errorf("decoded answer (-encoding/json +hand-written):\n%s", diff)
			}
		})
	}
}

func TestAppendPriorities(t *testing.T) {
	var list extenderv1.HostPriorityList
	for i, s := range awkward {
		list = append(list, extenderv1.HostPriority{Host: s, Score: int64(i) - 3})
	}
	for name, l := range map[string]extenderv1.HostPriorityList{"awkward": list, "empty": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			got := appendPriorities(nil, l)
			if l == nil {
				want = []byte("[]") // the handler always answers a list
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("answer (-encoding/json +hand-written):\n%s", diff)
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

// Result returns the outcome as the extender protocol's type, for
// comparing the hand-written answer with what encoding/json makes of it.
func (o *filterOutcome) Result() *extenderv1.ExtenderFilterResult {
	r := &extenderv1.ExtenderFilterResult{
		NodeNames:                  o.names,
		Nodes:                      o.nodes,
		FailedNodes:                extenderv1.FailedNodesMap{},
		FailedAndUnresolvableNodes: extenderv1.FailedNodesMap{},
	}
	for _, c := range o.cands {
		switch {
		case c.Fits:
		case c.Unresolvable:
			r.FailedAndUnresolvableNodes[c.Name] = c.Message
		default:
			r.FailedNodes[c.Name] = c.Message
		}
	}
	return r
}

// TestJSONVerbatim checks the eight-bytes-at-a-time test against
// encoding/json, for every byte value at every position of strings of a
// few lengths.
func TestJSONVerbatim(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 23} {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("n", n))
				b[pos] = byte(c)
				s := string(b)
				q, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := jsonVerbatim(s), string(q) == `"`+s+`"`; got != want {
					t.Fatalf("jsonVerbatim(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}
