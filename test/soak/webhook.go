package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// Outcome is what an admission answer says, in a form to compare: JSON
// patch operations as "op path value", sorted (their order is not
// significant).
type Outcome struct {
	Allowed  bool
	Code     int32
	Message  string
	Patch    []string
	Warnings []string
}

// reviewCase is an AdmissionReview kube-apiserver would send and the
// outcome volplace must answer with.
type reviewCase struct {
	name      string
	path      string
	op        admissionv1.Operation
	object    runtime.Object
	oldObject runtime.Object
	want      Outcome
}

// claim returns a claim as a review carries it: with its kind, and
// without UID (it is not created yet).
func claim(name string, class *string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	pvc := st.MakePVC(name).Namespace(Namespace).AccessModes(modes...).Obj()
	pvc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	pvc.Spec.StorageClassName, pvc.UID = class, ""
	return pvc
}

func class(w *st.StorageClassWrapper) *storagev1.StorageClass {
	sc := w.Obj()
	sc.TypeMeta = metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"}
	return sc
}

func reviewedPod(pod *corev1.Pod) *corev1.Pod {
	pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	return pod
}

// reviewCases are the webhooks' questions: each path, allowed, patched and
// denied.
func reviewCases() []reviewCase {
	rwo, rwx := corev1.ReadWriteOnce, corev1.ReadWriteMany
	inUse := claim(DataClaim("node-a2", 1), ptr.To(ZonalClass), rwo)
	podOnNode := reviewedPod(pendingPod("pinned", ZonalClaim))
	podOnNode.Spec.NodeName = "node-a2"
	return []reviewCase{
		{
			name: "claim-default-class", path: webhook.MutatePVCPath, op: admissionv1.Create,
			object: claim("new", nil, rwo),
			want: Outcome{Allowed: true, Code: http.StatusOK,
				Patch:    []string{`add /spec/storageClassName "zonal"`},
				Warnings: []string{`spec.storageClassName set to "zonal": the default StorageClass of namespace soak (annotation volplace.io/default-storage-class)`}},
		},
		{
			name: "claim-unsupported-mode", path: webhook.ValidatePVCPath, op: admissionv1.Create,
			object: claim("shared", ptr.To(EBSClass), rwx),
			want: Outcome{Code: http.StatusUnprocessableEntity,
				Message: `PersistentVolumeClaim "shared" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteMany": StorageClass ebs (provisioner ebs.csi.aws.com) supports ReadWriteOnce, ReadWriteOncePod (source: volplace's table of known provisioners)`},
		},
		{
			name: "claim-supported-mode", path: webhook.ValidatePVCPath, op: admissionv1.Create,
			object: claim("single", ptr.To(EBSClass), rwo),
			want:   Outcome{Allowed: true, Code: http.StatusOK},
		},
		{
			name: "delete-claim-in-use", path: webhook.ValidatePVCPath, op: admissionv1.Delete,
			oldObject: inUse,
			want: Outcome{Code: http.StatusForbidden,
				Message: `persistentvolumeclaim "soak/data-node-a2-1" is in use by pod(s) soak/app-node-a2-1 (node node-a2); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`},
		},
		{
			name: "delete-free-claim", path: webhook.ValidatePVCPath, op: admissionv1.Delete,
			oldObject: claim(ZonalClaim, ptr.To(ZonalClass), rwo),
			want:      Outcome{Allowed: true, Code: http.StatusOK},
		},
		{
			name: "class-binding-mode", path: webhook.MutateStorageClassPath, op: admissionv1.Create,
			object: class(st.MakeStorageClass("zonal-immediate", ZonalDriver).Immediate()),
			want: Outcome{Allowed: true, Code: http.StatusOK,
				Patch:    []string{`replace /volumeBindingMode "WaitForFirstConsumer"`},
				Warnings: []string{`volumeBindingMode set to WaitForFirstConsumer: CSI driver pd.csi.soak.example.com declares topology keys (topology.kubernetes.io/zone) on its nodes, so Immediate binding would provision before the pod's node is known (annotate the class volplace.io/keep-immediate-binding=true to keep Immediate)`}},
		},
		{
			name: "class-local-immediate", path: webhook.ValidateStorageClassPath, op: admissionv1.Create,
			object: class(st.MakeStorageClass("local-immediate", "kubernetes.io/no-provisioner").Immediate()),
			want: Outcome{Code: http.StatusUnprocessableEntity,
				Message: `StorageClass.storage.k8s.io "local-immediate" is invalid: volumeBindingMode: Invalid value: "Immediate": kubernetes.io/no-provisioner volumes are local: use WaitForFirstConsumer so that claims bind where their pod is scheduled`},
		},
		{
			name: "class-unknown-zone", path: webhook.ValidateStorageClassPath, op: admissionv1.Create,
			object: class(st.MakeStorageClass("zone-x", ZonalDriver).AllowedTopology(corev1.LabelTopologyZone, "zone-x")),
			want: Outcome{Allowed: true, Code: http.StatusOK,
				Warnings: []string{"allowedTopologies[0].matchLabelExpressions[0].values: no node has topology.kubernetes.io/zone set to any of zone-x"}},
		},
		{
			name: "pod-node-name-rewrite", path: webhook.MutatePodPath, op: admissionv1.Create,
			object: podOnNode,
			want: Outcome{Allowed: true, Code: http.StatusOK,
				Patch: []string{
					`add /spec/affinity {"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node-a2"]}]}]}}}`,
					`remove /spec/nodeName null`,
				},
				Warnings: []string{`spec.nodeName "node-a2" replaced by a required node affinity on metadata.name: claim "pending-zonal" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`}},
		},
		{
			name: "pod-bound-claim", path: webhook.MutatePodPath, op: admissionv1.Create,
			object: reviewedPod(pendingPod("bound", BoundClaim)),
			want:   Outcome{Allowed: true, Code: http.StatusOK},
		},
	}
}

// review returns the AdmissionReview of a case.
func (c *reviewCase) review() ([]byte, error) {
	obj := c.object
	if obj == nil {
		obj = c.oldObject
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	req := &admissionv1.AdmissionRequest{
		UID:       types.UID("soak-" + c.name),
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Operation: c.op,
		UserInfo:  authenticationv1.UserInfo{Username: "volplace-soak"},
	}
	if c.object != nil {
		req.Object = runtime.RawExtension{Object: c.object}
	}
	if c.oldObject != nil {
		req.OldObject = runtime.RawExtension{Object: c.oldObject}
	}
	if m, ok := obj.(interface{ GetNamespace() string }); ok {
		req.Namespace = m.GetNamespace()
	}
	if m, ok := obj.(interface{ GetName() string }); ok {
		req.Name = m.GetName()
	}
	return json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	})
}

// ParseOutcome decodes an AdmissionReview answer to the request uid.
func ParseOutcome(body []byte, uid types.UID) (Outcome, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return Outcome{}, fmt.Errorf("decoding %s: %w", body, err)
	}
	r := review.Response
	switch {
	case r == nil:
		return Outcome{}, fmt.Errorf("no response: %s", body)
	case r.UID != uid:
		return Outcome{}, fmt.Errorf("response to %q, not %q", r.UID, uid)
	}
	o := Outcome{Allowed: r.Allowed, Warnings: r.Warnings}
	if r.Result != nil {
		o.Code, o.Message = r.Result.Code, r.Result.Message
	}
	if len(r.Patch) > 0 {
		var ops []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(r.Patch, &ops); err != nil {
			return Outcome{}, fmt.Errorf("decoding patch %s: %w", r.Patch, err)
		}
		for _, op := range ops {
			value := "null"
			if len(op.Value) > 0 {
				value = string(op.Value)
			}
			o.Patch = append(o.Patch, op.Op+" "+op.Path+" "+value)
		}
		slices.Sort(o.Patch)
	}
	return o, nil
}

// WebhookRequests asks each review case once, checks the answers against
// the cases, and returns the requests with the same check for every later
// answer.
func WebhookRequests(ctx context.Context, client *http.Client, baseURL string) ([]Request, error) {
	var out []Request
	var errs []error
	for _, c := range reviewCases() {
		body, err := c.review()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		uid, want := types.UID("soak-"+c.name), c.want
		r := Request{Name: "webhook " + c.name, URL: baseURL + c.path, Body: body}
		r.Check = func(status int, body []byte) error {
			if status != http.StatusOK {
				return fmt.Errorf("HTTP %d: %s", status, body)
			}
			got, err := ParseOutcome(body, uid)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				return fmt.Errorf("unexpected answer (-want,+got):\n%s", diff)
			}
			return nil
		}
		first, err := post(ctx, client, r)
		if err != nil {
			return nil, err
		}
		if err := r.Check(http.StatusOK, first); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}
