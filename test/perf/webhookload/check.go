package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/types"
)

// patchOp is one JSON Patch operation of a mutating answer.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

const classPath = "/spec/storageClassName"

// check decodes an answer, reports whether it denies, and compares it with
// the expected outcome: same UID, same decision, the class patched in (or
// no patch at all), the denial's code and message.
func check(body []byte, uid types.UID, want outcome) (denied bool, err error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return false, fmt.Errorf("decoding the answer: %w", err)
	}
	if review.Response == nil {
		return false, errors.New("answer has no response")
	}
	return !review.Response.Allowed, compare(&review, uid, want)
}

func compare(review *admissionv1.AdmissionReview, uid types.UID, want outcome) error {
	resp := review.Response
	switch {
	case review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview":
		return fmt.Errorf("answer is apiVersion %q kind %q, not an admission.k8s.io/v1 AdmissionReview", review.APIVersion, review.Kind)
	case resp.UID != uid:
		return fmt.Errorf("answer has UID %q, want %q", resp.UID, uid)
	case resp.Allowed != want.allowed:
		msg := ""
		if resp.Result != nil {
			msg = resp.Result.Message
		}
		return fmt.Errorf("allowed = %t, want %t (message %q)", resp.Allowed, want.allowed, msg)
	}
	if !want.allowed {
		if resp.Result == nil || resp.Result.Code != want.code || !strings.Contains(resp.Result.Message, want.message) {
			return fmt.Errorf("denial %+v, want code %d and a message with %q", resp.Result, want.code, want.message)
		}
	}
	return checkPatch(resp, want.class)
}

// checkPatch checks that a response patches class in as the claim's
// storage class, or carries no patch when class is "".
func checkPatch(resp *admissionv1.AdmissionResponse, class string) error {
	if class == "" {
		if len(resp.Patch) > 0 {
			return fmt.Errorf("unexpected patch %s", resp.Patch)
		}
		return nil
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		return fmt.Errorf("patch type %v, want JSONPatch", resp.PatchType)
	}
	var ops []patchOp
	if err := json.Unmarshal(resp.Patch, &ops); err != nil {
		return fmt.Errorf("decoding the patch %s: %w", resp.Patch, err)
	}
	want, err := json.Marshal(class)
	if err != nil {
		return fmt.Errorf("encoding the class: %w", err)
	}
	for _, op := range ops {
		if (op.Op == "add" || op.Op == "replace") && op.Path == classPath && string(op.Value) == string(want) {
			return nil
		}
	}
	return fmt.Errorf("patch %s does not set %s to %s", resp.Patch, classPath, want)
}
