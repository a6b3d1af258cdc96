package extender

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

const driver = "pd.csi.example.com"

// zonalCluster has nodes in zones a and b and a claim bound to a PV in zone a.
func zonalCluster() []runtime.Object {
	return []runtime.Object{
		st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj(),
		st.MakeCSINode("na").LimitedDriver(driver, 4).Obj(), st.MakeCSINode("nb").Driver(driver).Obj(),
		st.MakePVC("data").BoundTo("pv-a").Obj(),
		st.MakePV("pv-a").BoundTo("default", "data").CSI(driver, "h").NodeAffinityIn(corev1.LabelTopologyZone, "a").Obj(),
	}
}

func newTestHandler(t *testing.T, ready bool, objs ...runtime.Object) http.Handler {
	t.Helper()
	snap, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()), Options{
		MaxBodyBytes: 1 << 16,
		Ready:        func() bool { return ready },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerRequests(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	names := func(n ...string) *[]string { return &n }
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		notReady bool
		wantCode int
		wantBody string
	}{
		{
			name: "filter by node names", method: http.MethodPost, path: FilterPath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: names("na", "nb")}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":["na"],"FailedNodes":{},"FailedAndUnresolvableNodes":{"nb":"node(s) didn't match PersistentVolume's node affinity (pv-a)"},"Error":""}`,
		},
		{
			name: "filter full nodes", method: http.MethodPost, path: FilterPath,
			body: mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, Nodes: &corev1.NodeList{Items: []corev1.Node{
				*st.MakeNode("na").Zone("b").Obj(), // labels as sent win over the cache
			}}}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":{"metadata":{},"items":[]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{"na":"node(s) didn't match PersistentVolume's node affinity (pv-a)"},"Error":""}`,
		},
		{
			name: "pod without claims gets every node back", method: http.MethodPost, path: FilterPath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: st.MakePod("plain").Obj(), NodeNames: names("na", "nb", "unknown")}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":["na","nb","unknown"],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`,
		},
		{
			name: "unknown node is rejected, resolvable", method: http.MethodPost, path: FilterPath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: names("na", "ghost", "na")}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":["na"],"FailedNodes":{"ghost":"node(s) were unknown to the volplace extender"},"FailedAndUnresolvableNodes":{},"Error":""}`,
		},
		{
			name: "empty node list", method: http.MethodPost, path: FilterPath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: &[]string{}}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`,
		},
		{
			name: "missing claim fails every node", method: http.MethodPost, path: FilterPath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: st.MakePod("p").PVC("gone").Obj(), NodeNames: names("na")}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{"na":"persistentvolumeclaim \"gone\" not found"},"Error":""}`,
		},
		{
			name: "cache not synced", method: http.MethodPost, path: FilterPath, notReady: true,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: names("na")}),
			wantCode: http.StatusOK,
			wantBody: `{"Nodes":null,"NodeNames":null,"FailedNodes":null,"FailedAndUnresolvableNodes":null,"Error":"volplace: cache not synced yet"}`,
		},
		{
			name: "prioritize", method: http.MethodPost, path: PrioritizePath,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: names("na", "nb", "ghost")}),
			wantCode: http.StatusOK,
			wantBody: `[{"Host":"na","Score":7},{"Host":"nb","Score":0},{"Host":"ghost","Score":0}]`,
		},
		{
			name: "prioritize before sync", method: http.MethodPost, path: PrioritizePath, notReady: true,
			body:     mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: names("na")}),
			wantCode: http.StatusServiceUnavailable,
			wantBody: "volplace: cache not synced yet\n",
		},
		{
			name: "malformed JSON", method: http.MethodPost, path: FilterPath, body: `{"Pod": {`,
			wantCode: http.StatusBadRequest,
			wantBody: "decoding ExtenderArgs: unexpected EOF\n",
		},
		{
			name: "wrong type", method: http.MethodPost, path: PrioritizePath, body: `{"Pod": 7}`,
			wantCode: http.StatusBadRequest,
			wantBody: "decoding ExtenderArgs: field Pod: cannot unmarshal JSON number into v1.Pod\n",
		},
		{
			name: "null pod", method: http.MethodPost, path: FilterPath, body: `{"Pod": null, "NodeNames": ["na"]}`,
			wantCode: http.StatusBadRequest,
			wantBody: "ExtenderArgs.Pod is required\n",
		},
		{
			name: "no nodes at all", method: http.MethodPost, path: PrioritizePath, body: mustJSON(t, extenderv1.ExtenderArgs{Pod: pod}),
			wantCode: http.StatusBadRequest,
			wantBody: "ExtenderArgs.NodeNames or ExtenderArgs.Nodes is required\n",
		},
		{
			name: "body over the cap", method: http.MethodPost, path: FilterPath,
			body:     `{"NodeNames": ["` + strings.Repeat("n", 1<<16) + `"]}`,
			wantCode: http.StatusRequestEntityTooLarge,
			wantBody: "request body larger than 65536 bytes\n",
		},
		{
			name: "GET is not allowed", method: http.MethodGet, path: FilterPath,
			wantCode: http.StatusMethodNotAllowed,
		},
		{
			name: "unknown verb", method: http.MethodPost, path: "/bind", body: "{}",
			wantCode: http.StatusNotFound,
			wantBody: "404 page not found\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, !tt.notReady, zonalCluster()...)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantBody, strings.TrimSuffix(rec.Body.String(), "\n")+suffix(rec.Body.String())); diff != "" {
				t.Errorf("body (-want,+got):\n%s", diff)
			}
		})
	}
}

// suffix keeps the newline of plain-text errors and drops the one
// json.Encoder adds, so expectations read naturally.
func suffix(body string) string {
	if strings.HasSuffix(body, "\n") && !strings.HasPrefix(body, "{") && !strings.HasPrefix(body, "[") {
		return "\n"
	}
	return ""
}

func TestNewHandlerValidates(t *testing.T) {
	snap, _ := store.NewStatic()
	ev := topology.NewEvaluator(snap, topology.DefaultOptions())
	if _, err := NewHandler(nil, Options{MaxBodyBytes: 1}); err == nil || err.Error() != "extender: evaluator is required" {
		t.Errorf("nil evaluator: err = %v", err)
	}
	if _, err := NewHandler(ev, Options{}); err == nil || err.Error() != "extender: MaxBodyBytes must be positive, not 0" {
		t.Errorf("zero cap: err = %v", err)
	}
}
