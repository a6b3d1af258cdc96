package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/volplace/volplace/topology/store"
)

// TestHealthHandlerProfiling checks that Go's profiles are served only with
// --profiling.
func TestHealthHandlerProfiling(t *testing.T) {
	snap, err := store.New(informers.NewSharedInformerFactory(fake.NewClientset(), 0))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{store: snap, namespacesSynced: func() bool { return false }}
	for _, tt := range []struct {
		name      string
		profiling bool
		path      string
		want      int
	}{
		{name: "profiles off", path: "/debug/pprof/", want: http.StatusNotFound},
		{name: "profiles on", profiling: true, path: "/debug/pprof/", want: http.StatusOK},
		{name: "heap profile on", profiling: true, path: "/debug/pprof/heap", want: http.StatusOK},
		{name: "liveness", path: "/healthz", want: http.StatusOK},
		{name: "readiness before sync", profiling: true, path: "/readyz", want: http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.healthHandler(tt.profiling).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.want {
				t.Errorf("GET %s: status %d, want %d", tt.path, rec.Code, tt.want)
			}
		})
	}
}
