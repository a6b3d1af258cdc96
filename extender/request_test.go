package extender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// decoded is what a test expects of a request's NodeNames.
type decoded struct {
	Present bool
	Names   []string // in order, without duplicates
	Known   []bool   // whether each is in the cache
	Err     string
}

// decodeNames decodes body, then resolves its names in snap over
// parallelism goroutines, as the handlers do.
func decodeNames(t *testing.T, snap topology.Cluster, body io.Reader, parallelism int) decoded {
	t.Helper()
	req, err := decodeRequest(body)
	if err != nil {
		return decoded{Err: err.Error()}
	}
	defer req.release()
	out := decoded{Present: req.byName()}
	if req.byName() {
		cands := req.resolve(snap, parallelism)
		defer topology.ReleaseCandidates(cands)
		for _, c := range cands {
			out.Names = append(out.Names, c.Name)
			out.Known = append(out.Known, c.Info != nil)
		}
	}
	return out
}

func TestDecodeNodeNames(t *testing.T) {
	snap, err := store.NewStatic(zonalCluster()...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, nodeNames string
		want            decoded
	}{
		{name: "plain", nodeNames: `["na","nb"]`, want: decoded{Present: true, Names: []string{"na", "nb"}, Known: []bool{true, true}}},
		{name: "white space", nodeNames: " [ \"na\" ,\n\t\"ghost\" ] ", want: decoded{Present: true, Names: []string{"na", "ghost"}, Known: []bool{true, false}}},
		{name: "duplicates known and unknown", nodeNames: `["na","ghost","na","ghost","nb"]`, want: decoded{Present: true, Names: []string{"na", "ghost", "nb"}, Known: []bool{true, false, true}}},
		{name: "escaped name", nodeNames: `["n\u0061","na"]`, want: decoded{Present: true, Names: []string{"na"}, Known: []bool{true}}},
		{name: "empty", nodeNames: `[]`, want: decoded{Present: true}},
		{name: "empty name", nodeNames: `[""]`, want: decoded{Present: true, Names: []string{""}, Known: []bool{false}}},
		{name: "null", nodeNames: `null`, want: decoded{}},
		{name: "number in the list", nodeNames: `["na",1]`, want: decoded{Err: "NodeNames: cannot unmarshal number into a list of node names"}},
		{name: "nested list", nodeNames: `[["na"]]`, want: decoded{Err: "NodeNames: cannot unmarshal array into a list of node names"}},
		{name: "object", nodeNames: `{"na":1}`, want: decoded{Err: "NodeNames: cannot unmarshal object into a list of node names"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeNames(t, snap, strings.NewReader(`{"Pod":{},"NodeNames":`+tt.nodeNames+`}`), 2)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decoded (-want,+got):\n%s", diff)
			}
		})
	}
	t.Run("absent", func(t *testing.T) {
		if got := decodeNames(t, snap, strings.NewReader(`{"Pod":{},"Nodes":{"items":[]}}`), 2); got.Present || got.Err != "" {
			t.Errorf("NodeNames decoded as present: %+v", got)
		}
	})
	t.Run("given twice", func(t *testing.T) {
		got := decodeNames(t, snap, strings.NewReader(`{"Pod":{},"NodeNames":["na"],"nodeNames":["nb"]}`), 2)
		if diff := cmp.Diff(decoded{Present: true, Names: []string{"nb"}, Known: []bool{true}}, got); diff != "" {
			t.Errorf("the last one should win, as with encoding/json (-want,+got):\n%s", diff)
		}
	})
}

// FuzzNodeNames checks the hand-written parser against encoding/json: for
// any JSON value, the names decoded are encoding/json's, without
// duplicates, or both fail.
func FuzzNodeNames(f *testing.F) {
	for _, s := range []string{`["na","nb"]`, `["n\u0061","na"]`, `[ "a" , "b" ]`, `[1]`, `"x"`, `null`, `["\"","\\"]`, `["ng\xff"]`} {
		f.Add(s)
	}
	snap, err := store.NewStatic(zonalCluster()...)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !json.Valid([]byte(value)) {
			return
		}
		var want []string
		wantErr := json.Unmarshal([]byte(value), &want)
		got := decodeNames(t, snap, strings.NewReader(`{"Pod":{},"NodeNames":`+value+`}`), 2)
		if (wantErr != nil) != (got.Err != "") {
			t.Fatalf("%s: encoding/json error %v, parser error %q", value, wantErr, got.Err)
		}
		if wantErr != nil || want == nil {
			return
		}
		seen := map[string]bool{}
		var unique []string
		for _, n := range want {
			if !seen[n] {
				seen[n] = true
				unique = append(unique, n)
			}
		}
		if diff := cmp.Diff(unique, got.Names); diff != "" {
			t.Fatalf("%s: names (-encoding/json,+parser):\n%s", value, diff)
		}
	})
}

// TestDecodePodFields checks that the fields the rules read survive the
// partial decoding of the pod, and that the rest is left out.
func TestDecodePodFields(t *testing.T) {
	full := st.MakePod("web").PVC("data").Node("n1").Obj()
	full.UID = "uid-1"
	full.Status.Phase = corev1.PodRunning
	full.Labels = map[string]string{"app": "web"}
	full.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}
	full.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: full.Namespace, UID: "uid-1"},
		Spec:       corev1.PodSpec{Volumes: full.Spec.Volumes, NodeName: "n1"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: full, NodeNames: &[]string{}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := decodeRequest(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer req.release()
	if diff := cmp.Diff(want, req.Pod); diff != "" {
		t.Errorf("decoded pod (-want,+got):\n%s", diff)
	}
}

// TestDecodeManyNodeNames decodes more names than one goroutine looks up,
// known, unknown and repeated, and checks that the candidates are the same
// whatever the parallelism: each name once, in the order of its first
// occurrence.
func TestDecodeManyNodeNames(t *testing.T) {
	size := st.ClusterSize{Nodes: 3000, Zones: 3, Pods: 10, Claims: 10}
	snap, err := store.NewStatic(st.LargeCluster(size)...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var want decoded
	want.Present = true
	for i := range size.Nodes {
		names = append(names, st.NodeName(i))
		want.Names, want.Known = append(want.Names, st.NodeName(i)), append(want.Known, true)
		if i%7 == 0 {
			ghost := fmt.Sprintf("ghost-%d", i)
			names = append(names, ghost, st.NodeName(i/2), ghost)
			want.Names, want.Known = append(want.Names, ghost), append(want.Known, false)
		}
	}
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: &corev1.Pod{}, NodeNames: &names})
	if err != nil {
		t.Fatal(err)
	}
	for _, parallelism := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("parallelism=%d", parallelism), func(t *testing.T) {
			got := decodeNames(t, snap, bytes.NewReader(body), parallelism)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
		})
	}
}
