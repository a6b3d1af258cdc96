package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// Kind is a kind of admission request the load sends.
type Kind string

// The kinds of requests, sent in turn.
const (
	// KindCreateMutating is a claim without a class created, on the
	// mutating path: volplace patches in the default class.
	KindCreateMutating Kind = "pvc-create-mutating"
	// KindCreateValidating is a claim with a class created, on the
	// validating path: volplace checks its access modes.
	KindCreateValidating Kind = "pvc-create-validating"
	// KindDeleteValidating is a claim deleted, on the validating path:
	// volplace denies it when running pods use the claim.
	KindDeleteValidating Kind = "pvc-delete-validating"
)

// kinds lists the kinds in the order requests cycle through them.
var kinds = []Kind{KindCreateMutating, KindCreateValidating, KindDeleteValidating}

// uidPlaceholder stands for the request UID in prepared bodies; every send
// replaces it with a new UUID of the same length.
const uidPlaceholder = "00000000-0000-0000-0000-000000000000"

// request is an AdmissionReview to send and the answer volplace must give.
type request struct {
	kind Kind
	path string
	body []byte
	want outcome
}

// outcome is an expected answer.
type outcome struct {
	allowed bool
	// class is the spec.storageClassName a mutating answer must patch in;
	// "" means the answer must carry no patch.
	class string
	// code and message are a denial's status code and a part of its
	// message.
	code    int32
	message string
}

// allowed is the answer of the no-op webhook to every request.
var allowed = outcome{allowed: true}

// newRequests prepares the requests of each kind, indexed like kinds: the
// mutating creates alternate between the cluster's default class and a
// namespace's; the validating creates between a supported access mode, a
// supported ReadWriteMany and an unsupported one; the deletes between a
// claim running pods use and a free one.
func newRequests(c *cluster) ([][]request, error) {
	var creates, validations, deletes []request
	for i := range maxFixtures {
		ns, class := st.DefaultNamespace, defaultClass
		if i%2 == 1 {
			ns, class = teamNamespace, teamClass
		}
		pvc := st.MakePVC(fmt.Sprintf("new-%05d", i)).Namespace(ns).Obj()
		r, err := createRequest(webhook.MutatePVCPath, pvc, outcome{allowed: true, class: class})
		if err != nil {
			return nil, err
		}
		creates = append(creates, r)
	}
	for i, v := range []struct {
		class string
		mode  corev1.PersistentVolumeAccessMode
		want  outcome
	}{
		{defaultClass, corev1.ReadWriteOnce, outcome{allowed: true}},
		{sharedClass, corev1.ReadWriteMany, outcome{allowed: true}},
		{teamClass, corev1.ReadWriteMany, outcome{code: http.StatusUnprocessableEntity, message: "provisioner ebs.csi.aws.com) supports ReadWriteOnce"}},
	} {
		pvc := st.MakePVC(fmt.Sprintf("checked-%d", i)).Class(v.class).AccessModes(v.mode).Obj()
		r, err := createRequest(webhook.ValidatePVCPath, pvc, v.want)
		if err != nil {
			return nil, err
		}
		validations = append(validations, r)
	}
	for i := range min(len(c.inUse), len(c.free)) {
		for _, v := range []struct {
			claim string
			want  outcome
		}{
			{c.inUse[i], outcome{code: http.StatusForbidden, message: "is in use by pod(s) default/pod-"}},
			{c.free[i], outcome{allowed: true}},
		} {
			pvc, ok := c.deps.Cluster.PersistentVolumeClaim(st.DefaultNamespace, v.claim)
			if !ok {
				return nil, fmt.Errorf("claim %s is not in the cluster", v.claim)
			}
			r, err := deleteRequest(pvc, v.want)
			if err != nil {
				return nil, err
			}
			deletes = append(deletes, r)
		}
	}
	return [][]request{creates, validations, deletes}, nil
}

// createRequest reviews the creation of pvc, which has no UID or status yet.
func createRequest(path string, pvc *corev1.PersistentVolumeClaim, want outcome) (request, error) {
	pvc = pvc.DeepCopy()
	pvc.UID, pvc.Status = "", corev1.PersistentVolumeClaimStatus{}
	kind := KindCreateValidating
	if path == webhook.MutatePVCPath {
		kind = KindCreateMutating
	}
	options := &metav1.CreateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"}, FieldManager: "kubectl-client-side-apply"}
	body, err := review(admissionv1.Create, pvc, nil, options)
	return request{kind: kind, path: path, body: body, want: want}, err
}

func deleteRequest(pvc *corev1.PersistentVolumeClaim, want outcome) (request, error) {
	options := &metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "DeleteOptions"}, PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}
	body, err := review(admissionv1.Delete, nil, pvc, options)
	return request{kind: KindDeleteValidating, path: webhook.ValidatePVCPath, body: body, want: want}, err
}

// review encodes an AdmissionReview of a claim as kube-apiserver sends it:
// the object (CREATE) or old object (DELETE), the user, the options.
func review(op admissionv1.Operation, obj, oldObj *corev1.PersistentVolumeClaim, options runtime.Object) ([]byte, error) {
	claim := obj
	if claim == nil {
		claim = oldObj
	}
	gvk := metav1.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}
	gvr := metav1.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	req := &admissionv1.AdmissionRequest{
		UID:             uidPlaceholder,
		Kind:            gvk,
		Resource:        gvr,
		RequestKind:     &gvk,
		RequestResource: &gvr,
		Name:            claim.Name,
		Namespace:       claim.Namespace,
		Operation:       op,
		UserInfo: authenticationv1.UserInfo{
			Username: "system:serviceaccount:kube-system:statefulset-controller",
			UID:      "3f1b7c2e-5b8a-4f0e-9c61-2d7a9e4b8c10",
			Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		},
		DryRun: ptr.To(false),
	}
	var err error
	if req.Object.Raw, err = encodeClaim(obj); err != nil {
		return nil, err
	}
	if req.OldObject.Raw, err = encodeClaim(oldObj); err != nil {
		return nil, err
	}
	if req.Options.Raw, err = json.Marshal(options); err != nil {
		return nil, fmt.Errorf("encoding options: %w", err)
	}
	body, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the AdmissionReview: %w", err)
	}
	return body, nil
}

// encodeClaim encodes a claim with its apiVersion and kind; nil stays
// empty.
func encodeClaim(pvc *corev1.PersistentVolumeClaim) ([]byte, error) {
	if pvc == nil {
		return nil, nil
	}
	pvc = pvc.DeepCopy()
	pvc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	data, err := json.Marshal(pvc)
	if err != nil {
		return nil, fmt.Errorf("encoding claim %s/%s: %w", pvc.Namespace, pvc.Name, err)
	}
	return data, nil
}
