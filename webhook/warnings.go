package webhook

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

type warningsKey struct{}

// withWarnings wraps a handler so that typed defaulters, whose interface
// returns no warnings, can add admission warnings through the context.
func withWarnings(h admission.Handler) admission.Handler {
	return admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		var warnings []string
		resp := h.Handle(context.WithValue(ctx, warningsKey{}, &warnings), req)
		return resp.WithWarnings(warnings...)
	})
}

// warn adds an admission warning to the response of the current request.
func warn(ctx context.Context, msg string) {
	if w, ok := ctx.Value(warningsKey{}).(*[]string); ok {
		*w = append(*w, msg)
	}
}

// operation returns the operation of the current admission request.
func operation(ctx context.Context) string {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return ""
	}
	return string(req.Operation)
}
