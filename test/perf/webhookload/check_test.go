package main

import (
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func TestCheck(t *testing.T) {
	const uid = types.UID("u1")
	answer := func(resp admissionv1.AdmissionResponse) []byte {
		data, err := json.Marshal(admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Response: &resp,
		})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	patched := func(patch string) admissionv1.AdmissionResponse {
		return admissionv1.AdmissionResponse{UID: uid, Allowed: true, PatchType: ptr.To(admissionv1.PatchTypeJSONPatch), Patch: []byte(patch)}
	}
	denial := func(code int32, msg string) admissionv1.AdmissionResponse {
		return admissionv1.AdmissionResponse{UID: uid, Result: &metav1.Status{Code: code, Message: msg}}
	}
	inUse := outcome{code: 403, message: "is in use"}
	tests := []struct {
		name       string
		body       []byte
		want       outcome
		wantDenied bool
		wantErr    string
	}{
		{name: "allowed as expected", body: answer(admissionv1.AdmissionResponse{UID: uid, Allowed: true}), want: allowed},
		{name: "denied as expected", body: answer(denial(403, `claim "default/data" is in use by pod(s) x`)), want: inUse, wantDenied: true},
		{name: "class patched in", body: answer(patched(`[{"op":"add","path":"/spec/storageClassName","value":"standard"}]`)), want: outcome{allowed: true, class: "standard"}},
		{name: "not JSON", body: []byte("nope"), want: allowed, wantErr: "decoding the answer"},
		{name: "no response", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), want: allowed, wantErr: "no response"},
		{name: "wrong kind", body: []byte(`{"apiVersion":"v1","kind":"Status","response":{"uid":"u1","allowed":true}}`), want: allowed, wantErr: "not an admission.k8s.io/v1 AdmissionReview"},
		{name: "other UID", body: answer(admissionv1.AdmissionResponse{UID: "u2", Allowed: true}), want: allowed, wantErr: `UID "u2"`},
		{name: "allowed where a denial is due", body: answer(admissionv1.AdmissionResponse{UID: uid, Allowed: true}), want: inUse, wantErr: "allowed = true, want false"},
		{name: "denied where allowed is due", body: answer(denial(403, "no")), want: allowed, wantDenied: true, wantErr: "allowed = false, want true"},
		{name: "denied with another code", body: answer(denial(422, "is in use")), want: inUse, wantDenied: true, wantErr: "want code 403"},
		{name: "denied with another message", body: answer(denial(403, "forbidden")), want: inUse, wantDenied: true, wantErr: `message with "is in use"`},
		{name: "patch where none is due", body: answer(patched(`[{"op":"add","path":"/metadata/labels","value":{}}]`)), want: allowed, wantErr: "unexpected patch"},
		{name: "no patch where one is due", body: answer(admissionv1.AdmissionResponse{UID: uid, Allowed: true}), want: outcome{allowed: true, class: "standard"}, wantErr: "want JSONPatch"},
		{name: "other class patched in", body: answer(patched(`[{"op":"add","path":"/spec/storageClassName","value":"fast"}]`)), want: outcome{allowed: true, class: "standard"}, wantErr: `does not set /spec/storageClassName to "standard"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			denied, err := check(tt.body, uid, tt.want)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("check: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("check: %v, want an error with %q", err, tt.wantErr)
			}
			if denied != tt.wantDenied {
				t.Errorf("denied = %t, want %t", denied, tt.wantDenied)
			}
		})
	}
}
