package extender

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// requestView is what the handlers read of a decoded request.
type requestView struct {
	Err    string
	Pod    any
	Nodes  any
	ByName bool
	Names  []string
	Known  []bool
}

func viewRequest(snap topology.Cluster, r *request, err error) requestView {
	if err != nil {
		return requestView{Err: err.Error()}
	}
	defer r.release()
	v := requestView{Pod: r.Pod, Nodes: r.Nodes, ByName: r.byName()}
	if r.byName() {
		cands := r.resolve(snap, 2)
		defer topology.ReleaseCandidates(cands)
		for _, c := range cands {
			v.Names = append(v.Names, c.Name)
			v.Known = append(v.Known, c.Info != nil)
		}
	}
	return v
}

// decodeBoth decodes body with decodeRequest and with encoding/json
// (decodeJSON, whose NodeNames parser is the fast one's, falling back to
// encoding/json), and resolves the names in snap. When the body decodes, the names are also checked
// against those encoding/json alone gives, without duplicates.
func decodeBoth(t *testing.T, snap topology.Cluster, body string) (got, want requestView) {
	t.Helper()
	r, err := decodeRequest(strings.NewReader(body))
	got = viewRequest(snap, r, err)
	r, err = decodeJSON(json.NewDecoder(strings.NewReader(body)))
	want = viewRequest(snap, r, err)
	var plain struct{ NodeNames *[]string }
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&plain); err == nil && want.Err == "" && plain.NodeNames != nil {
		var names []string
		seen := map[string]bool{}
		for _, n := range *plain.NodeNames {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if diff := cmp.Diff(names, got.Names); diff != "" {
			t.Errorf("%q: names (-encoding/json alone +decodeRequest):\n%s", body, diff)
		}
	}
	return got, want
}

// TestDecodeFast checks which bodies take the fast path, and that every
// body decodes as encoding/json decodes it.
func TestDecodeFast(t *testing.T) {
	snap, err := store.NewStatic(zonalCluster()...)
	if err != nil {
		t.Fatal(err)
	}
	pod := `{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}}`
	tests := []struct {
		name string
		body string
		fast bool
	}{
		{name: "names", body: `{"Pod":` + pod + `,"NodeNames":["na","nb","ghost","na"]}`, fast: true},
		{name: "white space everywhere", body: " {\n \"Pod\" : " + pod + " ,\t\"NodeNames\" : [ \"na\" , \"nb\" ] } ", fast: true},
		{name: "nodes", body: `{"Pod":` + pod + `,"Nodes":{"items":[{"metadata":{"name":"na"}}]}}`, fast: true},
		{name: "null pod and nodes", body: `{"Pod":null,"Nodes":null,"NodeNames":[]}`, fast: true},
		{name: "empty object", body: `{}`, fast: true},
		{name: "trailing bytes are not read", body: `{"Pod":{},"NodeNames":["na"]} garbage`, fast: true},
		{name: "escapes in the pod", body: `{"Pod":{"metadata":{"name":"a\\\\","namespace":"q\"x"}},"NodeNames":["na"]}`, fast: true},
		{name: "null names", body: `{"Pod":{},"NodeNames":null}`, fast: true},
		{name: "nodes, names null, as kube-scheduler sends them", body: `{"Pod":` + pod + `,"Nodes":{"items":[{"metadata":{"name":"na"}}]},"NodeNames":null}`, fast: true},
		{name: "names null twice", body: `{"Pod":{},"NodeNames":null,"NodeNames":null}`},
		{name: "names nullx", body: `{"Pod":{},"NodeNames":nullx}`},
		{name: "escaped name", body: `{"Pod":{},"NodeNames":["n\u0061"]}`},
		{name: "other spelling of a key", body: `{"pod":{},"nodeNames":["na"]}`},
		{name: "duplicate key", body: `{"Pod":{},"NodeNames":["na"],"NodeNames":["nb"]}`},
		{name: "unknown key", body: `{"Pod":{},"Extra":1,"NodeNames":["na"]}`},
		{name: "missing comma between names", body: `{"Pod":{},"NodeNames":["na" "nb"]}`},
		{name: "trailing comma", body: `{"Pod":{},"NodeNames":["na",]}`},
		{name: "control character in a name", body: "{\"Pod\":{},\"NodeNames\":[\"n\ta\"]}"},
		{name: "invalid UTF-8", body: "{\"Pod\":{},\"NodeNames\":[\"n\xffa\"]}"},
		{name: "wrong type in the pod", body: `{"Pod":{"spec":{"volumes":7}},"NodeNames":["na"]}`},
		{name: "unterminated", body: `{"Pod":{},"NodeNames":["na"`},
		{name: "not an object", body: `["na"]`},
		{name: "empty", body: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := decodeBoth(t, snap, tt.body)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeRequest differs from encoding/json (-json +decodeRequest):\n%s", diff)
			}
			r, fast := decodeFast([]byte(tt.body))
			if fast != tt.fast {
				t.Errorf("decodeFast took the body: %v, want %v", fast, tt.fast)
			}
			if fast {
				r.release()
			}
		})
	}
}

// FuzzDecodeRequest checks that any body decodes, or fails, as it does
// with encoding/json alone.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(`{"Pod":{},"NodeNames":["na","nb"],"Nodes":{"items":[]}}`)
	f.Add(`{"Pod":{"metadata":{"name":"a\"b"}},"NodeNames":["na"]}`)
	f.Add(`{"Pod":{"metadata":{"name":"a\\\\"}},"NodeNames":["na"]}`)
	snap, err := store.NewStatic(zonalCluster()...)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, want := decodeBoth(t, snap, body)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: decodeRequest differs from encoding/json (-json +decodeRequest):\n%s", body, diff)
		}
	})
}

// TestPlainString checks which strings the fast decoder takes as they are,
// for every byte value at every position of strings of a few lengths: any
// but control characters, backslashes and invalid UTF-8.
func TestPlainString(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 23} {
		for pos := range n {
			for c := range 256 {
				if c == '"' {
					continue // it would end the string
				}
				s := []byte(strings.Repeat("n", n))
				s[pos] = byte(c)
				want := c >= 0x20 && c != '\\' && utf8.Valid(s)
				got, rest, ok := plainString([]byte(`"` + string(s) + `",`))
				if ok != want || ok && (string(got) != string(s) || string(rest) != ",") {
					t.Fatalf("plainString(%q) = %q, %q, %v; want ok %v", s, got, rest, ok, want)
				}
			}
		}
	}
}
