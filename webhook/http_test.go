package webhook

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

func testHooks(t testing.TB) http.Handler {
	cluster, err := store.NewStatic(
		st.MakeStorageClass("ebs", "ebs.csi.aws.com").Annotation(topology.AnnIsDefaultClass, "true").Obj(),
		st.MakePod("web-0").PVC("data").Node("n1").Obj(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return NewHandler(Deps{Cluster: cluster}, DefaultOptions())
}

func review(op, kind, object, oldObject string) string {
	r := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"` + op +
		`","kind":{"group":"","version":"v1","kind":"` + kind + `"},"namespace":"default"`
	if object != "" {
		r += `,"object":` + object
	}
	if oldObject != "" {
		r += `,"oldObject":` + oldObject
	}
	return r + "}}"
}

// TestAdmissionReviews drives the webhooks through HTTP with the
// AdmissionReview bodies kube-apiserver sends, including malformed ones.
func TestAdmissionReviews(t *testing.T) {
	pvc := func(spec string) string {
		return `{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"default"},"spec":` + spec + `,"status":{}}`
	}
	tests := []struct {
		name        string
		path        string
		body        string
		wantAllowed bool
		wantCode    int32
		wantMessage string
		wantPatch   string
	}{
		{
			name: "default class is patched in", path: MutatePVCPath,
			body:        review("CREATE", "PersistentVolumeClaim", pvc(`{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}`), ""),
			wantAllowed: true,
			wantPatch:   `[{"op":"add","path":"/spec/storageClassName","value":"ebs"}]`,
		},
		{
			name: "RWX on EBS is denied with the field", path: ValidatePVCPath,
			body:        review("CREATE", "PersistentVolumeClaim", pvc(`{"storageClassName":"ebs","accessModes":["ReadWriteMany"]}`), ""),
			wantCode:    422,
			wantMessage: `PersistentVolumeClaim "data" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteMany": StorageClass ebs (provisioner ebs.csi.aws.com) supports ReadWriteOnce, ReadWriteOncePod (source: volplace's table of known provisioners)`,
		},
		{
			name: "deleting a claim in use", path: ValidatePVCPath,
			body:        review("DELETE", "PersistentVolumeClaim", "", pvc(`{}`)),
			wantCode:    403,
			wantMessage: `persistentvolumeclaim "default/data" is in use by pod(s) default/web-0 (node n1); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name: "object of the wrong kind", path: ValidatePVCPath,
			body:     review("CREATE", "PersistentVolumeClaim", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":"nope"}}`, ""),
			wantCode: 400,
		},
		{
			name: "request without object", path: MutatePodPath,
			body:     review("CREATE", "Pod", "", ""),
			wantCode: 400,
		},
		{
			name: "unknown operation", path: ValidateStorageClassPath,
			body:        review("PATCH", "StorageClass", `{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"x"},"provisioner":"p"}`, ""),
			wantCode:    400,
			wantMessage: `request.operation: unsupported value "PATCH": CREATE, UPDATE, DELETE or CONNECT`,
		},
		{name: "mutating webhooks ignore DELETE", path: MutateStorageClassPath, body: review("DELETE", "StorageClass", "", `{}`), wantAllowed: true, wantCode: 200},
	}
	h := testHooks(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("HTTP status %d: %s", rec.Code, rec.Body.String())
			}
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
				t.Fatalf("response is not an AdmissionReview: %v: %s", err, rec.Body.String())
			}
			resp := out.Response
			if resp.UID != "u1" {
				t.Errorf("uid = %q", resp.UID)
			}
			if resp.Allowed != tt.wantAllowed {
				t.Errorf("allowed = %v, want %v (%+v)", resp.Allowed, tt.wantAllowed, resp.Result)
			}
			if tt.wantCode != 0 && (resp.Result == nil || resp.Result.Code != tt.wantCode) {
				t.Errorf("result = %+v, want code %d", resp.Result, tt.wantCode)
			}
			if tt.wantMessage != "" {
				if diff := cmp.Diff(tt.wantMessage, resp.Result.Message); diff != "" {
					t.Errorf("message (-want,+got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.wantPatch, string(resp.Patch)); diff != "" {
				t.Errorf("patch (-want,+got):\n%s", diff)
			}
		})
	}
}

var fuzzSeeds = []string{
	review("CREATE", "PersistentVolumeClaim", `{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"d"},"spec":{"accessModes":["ReadWriteMany"],"storageClassName":"ebs"}}`, ""),
	review("DELETE", "PersistentVolumeClaim", "", `{"metadata":{"name":"data","namespace":"default"}}`),
	review("CREATE", "Pod", `{"metadata":{"name":"p"},"spec":{"nodeName":"n1","volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"data"}},{"name":"e","ephemeral":{}}]}}`, ""),
	review("CREATE", "StorageClass", `{"metadata":{"name":"s","annotations":{"volplace.io/access-modes":","}},"provisioner":"kubernetes.io/no-provisioner","allowedTopologies":[{}]}`, ""),
	review("UPDATE", "PersistentVolumeClaim", `{"metadata":{"name":"d"}}`, `{"metadata":{"name":"d"},"spec":{"storageClassName":"x"}}`),
	`{"request":null}`, `{`, ``, `[]`,
}

// FuzzAdmission sends any body to every webhook path: no panic, and always
// an AdmissionReview answer or a 4xx.
func FuzzAdmission(f *testing.F) {
	paths := []string{MutatePVCPath, ValidatePVCPath, MutateStorageClassPath, ValidateStorageClassPath, MutatePodPath}
	for i, s := range fuzzSeeds {
		f.Add(uint8(i), s)
	}
	h := testHooks(f)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusOK {
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("200 with a body that is not an AdmissionReview: %v", err)
			}
		}
	})
}
