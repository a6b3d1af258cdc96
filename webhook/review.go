package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// MaxReviewBytes caps an AdmissionReview body (kube-apiserver's own limit
// on a request object is 3 MiB, the review wraps up to two copies).
const MaxReviewBytes = 7 << 20

// NewHandler returns the webhooks' HTTP handler: every path of Hooks, each
// behind a check that answers a malformed AdmissionReview with a clear
// denial.
func NewHandler(deps Deps, opts Options) http.Handler {
	RegisterMetrics()
	mux := http.NewServeMux()
	for path, hook := range Hooks(deps, opts) {
		mux.Handle(path, serveReview(hook))
	}
	return mux
}

// serveReview reads and decodes an AdmissionReview once, answers what is not
// a usable one itself (allowed: false, code 400 and a message that says
// what is wrong), and has the webhook answer the rest, in the review's own
// apiVersion.
func serveReview(hook *admission.Webhook) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxReviewBytes+1))
		var review admissionv1.AdmissionReview
		msg := ""
		switch {
		case err != nil:
			msg = fmt.Sprintf("reading the AdmissionReview: %v", err)
		case len(body) > MaxReviewBytes:
			msg = fmt.Sprintf("AdmissionReview larger than %d bytes", MaxReviewBytes)
		case len(bytes.TrimSpace(body)) == 0:
			msg = "empty body: expected an AdmissionReview"
		case r.Header.Get("Content-Type") != "application/json":
			msg = fmt.Sprintf("content type %q: expected application/json", r.Header.Get("Content-Type"))
		default:
			if err := json.Unmarshal(body, &review); err != nil {
				msg = fmt.Sprintf("decoding the AdmissionReview: %v", err)
				break
			}
			msg = reviewProblem(&review)
		}
		if msg != "" {
			deny(w, review, msg)
			return
		}
		resp := hook.Handle(r.Context(), admission.Request{AdmissionRequest: *review.Request})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: &resp.AdmissionResponse})
	})
}

func reviewProblem(review *admissionv1.AdmissionReview) string {
	if review.Kind != "AdmissionReview" || (review.APIVersion != "admission.k8s.io/v1" && review.APIVersion != "admission.k8s.io/v1beta1") {
		return fmt.Sprintf("expected an admission.k8s.io/v1 AdmissionReview, got apiVersion %q kind %q", review.APIVersion, review.Kind)
	}
	if review.Request == nil {
		return "the AdmissionReview has no request"
	}
	switch review.Request.Operation {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
	default:
		return fmt.Sprintf("request.operation: unsupported value %q: CREATE, UPDATE, DELETE or CONNECT", review.Request.Operation)
	}
	if review.Request.Operation == admissionv1.Delete && len(review.Request.OldObject.Raw) == 0 {
		return "request.oldObject: required for DELETE"
	}
	if review.Request.Operation != admissionv1.Delete && len(review.Request.Object.Raw) == 0 {
		return fmt.Sprintf("request.object: required for %s", review.Request.Operation)
	}
	return ""
}

func deny(w http.ResponseWriter, review admissionv1.AdmissionReview, msg string) {
	var uid types.UID
	if review.Request != nil {
		uid = review.Request.UID
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Response: &admissionv1.AdmissionResponse{
			UID:     uid,
			Allowed: false,
			Result:  &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: msg},
		},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
