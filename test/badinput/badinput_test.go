// Package badinput holds the catalogue of hostile and malformed inputs that
// volplace's HTTP handlers must answer without crashing: each case has the
// exact status and message expected. docs/reliability.md lists them.
package badinput

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

const maxBody = 1 << 16

// cluster holds the objects the hostile inputs refer to, some of them
// broken themselves.
func cluster() []runtime.Object {
	badAffinity := st.MakePV("pv-bad-affinity").BoundTo("default", "bad-affinity").NodeAffinityTerm(corev1.NodeSelectorTerm{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: "Near", Values: []string{"a"}}},
	}).Obj()
	hugeClaim := st.MakePVC("huge").Class("fast").Request("8Ei").Obj()
	negative := st.MakePVC("negative").Class("fast").Obj()
	negative.Spec.Resources.Requests[corev1.ResourceStorage] = *resourceMust("-1Gi")
	badSelector := st.MakePVC("bad-selector").Class("local").Obj()
	badSelector.Spec.Selector = &metav1LabelSelector
	return []runtime.Object{
		st.MakeNode("n1").Zone("a").Obj(), st.MakeNode("n2").Zone("b").Obj(),
		st.MakeCSINode("n1").Driver("csi.example.com").Obj(),
		st.MakeStorageClass("fast", "csi.example.com").Obj(),
		st.MakeStorageClass("local", "kubernetes.io/no-provisioner").Obj(),
		st.MakeCSIDriver("csi.example.com").StorageCapacity(true).Obj(),
		st.MakeCapacity("cap-bad", "fast").Obj(), // no nodeTopology
		st.MakePVC("bad-affinity").BoundTo("pv-bad-affinity").Obj(), badAffinity,
		st.MakePVC("deleted-class").Class("gone").Obj(),
		hugeClaim, negative, badSelector,
		st.MakePVC("eph-orphan-scratch").Class("fast").Obj(), // no owner
	}
}

type extenderCase struct {
	name     string
	path     string
	body     string
	wantCode int
	wantBody string
}

func filterBody(pod string, nodes string) string {
	return `{"Pod":` + pod + `,"NodeNames":` + nodes + `}`
}

func podWith(volumes string) string {
	return `{"metadata":{"name":"p","namespace":"default","uid":"u"},"spec":{"volumes":` + volumes + `}}`
}

// unresolvableEverywhere is the answer that rejects both nodes for msg.
func unresolvableEverywhere(msg string) string {
	b, _ := json.Marshal(extenderv1.ExtenderFilterResult{
		NodeNames: &[]string{}, FailedNodes: extenderv1.FailedNodesMap{},
		FailedAndUnresolvableNodes: extenderv1.FailedNodesMap{"n1": msg, "n2": msg},
	})
	return string(b)
}

func extenderCases() []extenderCase {
	pvc := func(claim string) string {
		return podWith(`[{"name":"v","persistentVolumeClaim":{"claimName":"` + claim + `"}}]`)
	}
	return []extenderCase{
		{name: "empty body", path: extender.FilterPath, body: ``, wantCode: 400, wantBody: "decoding ExtenderArgs: EOF"},
		{name: "truncated JSON", path: extender.FilterPath, body: `{"Pod":{"metadata":`, wantCode: 400, wantBody: "decoding ExtenderArgs: unexpected EOF"},
		{name: "not JSON", path: extender.PrioritizePath, body: `<xml/>`, wantCode: 400, wantBody: "decoding ExtenderArgs: invalid character '<' looking for beginning of value"},
		{name: "JSON array", path: extender.FilterPath, body: `[]`, wantCode: 400, wantBody: "decoding ExtenderArgs: cannot unmarshal JSON array into ExtenderArgs"},
		{name: "deeply nested JSON", path: extender.FilterPath, body: `{"Pod":{"metadata":{"annotations":` + strings.Repeat("[", 60000), wantCode: 400, wantBody: "decoding ExtenderArgs: invalid character '[' exceeded max depth"},
		{name: "body over the size cap", path: extender.FilterPath, body: `{"NodeNames":["` + strings.Repeat("x", maxBody) + `"]}`, wantCode: 413, wantBody: "request body larger than 65536 bytes"},
		{name: "null pod", path: extender.FilterPath, body: `{"Pod":null,"NodeNames":["n1"]}`, wantCode: 400, wantBody: "ExtenderArgs.Pod is required"},
		{name: "neither names nor nodes", path: extender.PrioritizePath, body: `{"Pod":{}}`, wantCode: 400, wantBody: "ExtenderArgs.NodeNames or ExtenderArgs.Nodes is required"},
		{name: "wrong type for node names", path: extender.FilterPath, body: `{"Pod":{},"NodeNames":"n1"}`, wantCode: 400, wantBody: "decoding ExtenderArgs: NodeNames: cannot unmarshal string into a list of node names"},
		{name: "pod of the wrong kind", path: extender.FilterPath, body: filterBody(`{"kind":"Secret","apiVersion":"v1"}`, `["n1"]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":["n1"],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`},
		{name: "node names not in the cache", path: extender.FilterPath, body: filterBody(pvc("deleted-class"), `["ghost"]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":[],"FailedNodes":{"ghost":"node(s) were unknown to the volplace extender"},"FailedAndUnresolvableNodes":{},"Error":""}`},
		{name: "duplicate node names", path: extender.PrioritizePath, body: filterBody(pvc("huge"), `["n1","n1","n1"]`), wantCode: 200,
			wantBody: `[{"Host":"n1","Score":0}]`},
		{name: "empty node name", path: extender.FilterPath, body: filterBody(podWith(`[]`), `[""]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":[""],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`},
		{name: "missing claim", path: extender.FilterPath, body: filterBody(pvc("nope"), `["n1","n2"]`), wantCode: 200,
			wantBody: unresolvableEverywhere(`persistentvolumeclaim "nope" not found`)},
		{name: "empty claim name", path: extender.FilterPath, body: filterBody(pvc(""), `["n1","n2"]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":["n1","n2"],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`},
		{name: "claim of a deleted class", path: extender.FilterPath, body: filterBody(pvc("deleted-class"), `["n1","n2"]`), wantCode: 200,
			wantBody: unresolvableEverywhere(`persistentvolumeclaim "deleted-class": storageclass "gone" not found`)},
		{name: "PV with a malformed node affinity", path: extender.FilterPath, body: filterBody(pvc("bad-affinity"), `["n1","n2"]`), wantCode: 200,
			wantBody: unresolvableEverywhere(topology.ErrReasonNodeConflict + " (pv-bad-affinity)")},
		{name: "huge storage request", path: extender.FilterPath, body: filterBody(pvc("huge"), `["n1","n2"]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{"n1":"node(s) did not have enough free storage (huge)","n2":"node(s) did not have enough free storage (huge)"},"Error":""}`},
		{name: "negative storage request", path: extender.FilterPath, body: filterBody(pvc("negative"), `["n1","n2"]`), wantCode: 200,
			wantBody: `{"Nodes":null,"NodeNames":["n1"],"FailedNodes":{},"FailedAndUnresolvableNodes":{"n2":"csi.example.com CSI driver is not installed on the node"},"Error":""}`},
		{name: "claim with an invalid selector", path: extender.FilterPath, body: filterBody(pvc("bad-selector"), `["n1","n2"]`), wantCode: 200,
			wantBody: unresolvableEverywhere(topology.ErrReasonBindConflict + " (bad-selector)")},
		{name: "ephemeral claim not owned by the pod", path: extender.FilterPath,
			body:     filterBody(`{"metadata":{"name":"eph-orphan","namespace":"default","uid":"u"},"spec":{"volumes":[{"name":"scratch","ephemeral":{}}]}}`, `["n1","n2"]`),
			wantCode: 200, wantBody: unresolvableEverywhere(`PVC default/eph-orphan-scratch was not created for pod default/eph-orphan (pod is not owner)`)},
		{name: "full nodes with hostile labels", path: extender.FilterPath,
			body:     `{"Pod":` + pvc("bad-affinity") + `,"Nodes":{"items":[{"metadata":{"name":"n1","labels":{"zone":"` + strings.Repeat("a", 1000) + `"}}}]}}`,
			wantCode: 200, wantBody: `{"Nodes":{"metadata":{},"items":[]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{"n1":"node(s) didn't match PersistentVolume's node affinity (pv-bad-affinity)"},"Error":""}`},
	}
}

var metav1LabelSelector = metav1LabelSelectorInvalid()

func TestExtenderCatalogue(t *testing.T) {
	snap, err := store.NewStatic(cluster()...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := extender.NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()), extender.Options{MaxBodyBytes: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range extenderCases() {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantBody, strings.TrimSpace(rec.Body.String())); diff != "" {
				t.Errorf("body (-want,+got):\n%s", diff)
			}
		})
	}
}

func review(op, kind, object string) string {
	r := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"` + op +
		`","kind":{"group":"","version":"v1","kind":"` + kind + `"},"namespace":"default"`
	if object != "" {
		field := "object"
		if op == "DELETE" {
			field = "oldObject"
		}
		r += `,"` + field + `":` + object
	}
	return r + "}}"
}

func TestWebhookCatalogue(t *testing.T) {
	snap, err := store.NewStatic(cluster()...)
	if err != nil {
		t.Fatal(err)
	}
	mux := webhook.NewHandler(webhook.Deps{Cluster: snap}, webhook.DefaultOptions())
	tests := []struct {
		name        string
		path        string
		body        string
		wantAllowed bool
		wantCode    int32
		wantMessage string
	}{
		{name: "empty body", path: webhook.ValidatePVCPath, body: ``, wantCode: 400, wantMessage: "empty body: expected an AdmissionReview"},
		{name: "not JSON", path: webhook.MutatePVCPath, body: `}{`, wantCode: 400,
			wantMessage: "decoding the AdmissionReview: invalid character '}' looking for beginning of value"},
		{name: "truncated review", path: webhook.MutatePVCPath, body: `{"apiVersion":"admission.k8s.io/v1","kind":"Adm`, wantCode: 400,
			wantMessage: "decoding the AdmissionReview: unexpected end of JSON input"},
		{name: "review without request", path: webhook.MutatePodPath, body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, wantCode: 400,
			wantMessage: "the AdmissionReview has no request"},
		{name: "wrong review kind", path: webhook.ValidatePVCPath, body: `{"apiVersion":"v1","kind":"Pod","request":{"uid":"u1"}}`, wantCode: 400,
			wantMessage: `expected an admission.k8s.io/v1 AdmissionReview, got apiVersion "v1" kind "Pod"`},
		{name: "create without object", path: webhook.MutatePodPath, body: review("CREATE", "Pod", ""), wantCode: 400,
			wantMessage: "request.object: required for CREATE"},
		{name: "object of the wrong type", path: webhook.ValidatePVCPath, body: review("CREATE", "PersistentVolumeClaim", `{"spec":{"accessModes":"ReadWriteOnce"}}`), wantCode: 400,
			wantMessage: "json: cannot unmarshal string into Go struct field PersistentVolumeClaimSpec.spec.accessModes of type []v1.PersistentVolumeAccessMode"},
		{name: "malformed access mode", path: webhook.ValidatePVCPath, body: review("CREATE", "PersistentVolumeClaim", `{"metadata":{"name":"c"},"spec":{"storageClassName":"fast","accessModes":["ReadWriteAlways"]}}`), wantCode: 422,
			wantMessage: `PersistentVolumeClaim "c" is invalid: spec.accessModes[0]: Unsupported value: "ReadWriteAlways": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"`},
		{name: "claim of a deleted class", path: webhook.ValidatePVCPath, body: review("CREATE", "PersistentVolumeClaim", `{"metadata":{"name":"c"},"spec":{"storageClassName":"gone","accessModes":["ReadWriteOnce"]}}`),
			wantAllowed: true, wantCode: 200},
		{name: "delete without old object", path: webhook.ValidatePVCPath, body: review("DELETE", "PersistentVolumeClaim", ""), wantCode: 400,
			wantMessage: "request.oldObject: required for DELETE"},
		{name: "unknown operation", path: webhook.ValidateStorageClassPath, body: review("CONNECT2", "StorageClass", `{"metadata":{"name":"s"},"provisioner":"p"}`), wantCode: 400,
			wantMessage: `request.operation: unsupported value "CONNECT2": CREATE, UPDATE, DELETE or CONNECT`},
		{name: "pod with huge nodeName", path: webhook.MutatePodPath, body: review("CREATE", "Pod", `{"metadata":{"name":"p"},"spec":{"nodeName":"`+strings.Repeat("n", 5000)+`","containers":[{"name":"c"}]}}`),
			wantAllowed: true, wantCode: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			mux.ServeHTTP(rec, req)
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
				t.Fatalf("HTTP %d, not an AdmissionReview: %v: %s", rec.Code, err, rec.Body.String())
			}
			resp := out.Response
			if resp.Allowed != tt.wantAllowed {
				t.Errorf("allowed = %v, want %v (%+v)", resp.Allowed, tt.wantAllowed, resp.Result)
			}
			code, msg := int32(200), ""
			if resp.Result != nil {
				code, msg = resp.Result.Code, resp.Result.Message
			}
			if code != tt.wantCode {
				t.Errorf("code = %d, want %d (%s)", code, tt.wantCode, msg)
			}
			if tt.wantMessage != "" {
				if diff := cmp.Diff(tt.wantMessage, msg); diff != "" {
					t.Errorf("message (-want,+got):\n%s", diff)
				}
			}
		})
	}
}
