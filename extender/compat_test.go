package extender

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWireCompatibility pins the JSON contract with kube-scheduler: it sends
// ExtenderArgs with Go's default (capitalised) field names and decodes the
// answer the same way; field names are matched case-insensitively, so
// lower-case clients work too.
func TestWireCompatibility(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
		want string
	}{
		{
			name: "kube-scheduler nodeCacheCapable filter",
			path: FilterPath,
			body: `{"Pod":{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}},"Nodes":null,"NodeNames":["na","nb"]}`,
			want: `{"Nodes":null,"NodeNames":["na"],"FailedNodes":{},"FailedAndUnresolvableNodes":{"nb":"node(s) didn't match PersistentVolume's node affinity (pv-a)"},"Error":""}`,
		},
		{
			name: "lower-case field names",
			path: FilterPath,
			body: `{"pod":{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}},"nodenames":["nb"]}`,
			want: `{"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{"nb":"node(s) didn't match PersistentVolume's node affinity (pv-a)"},"Error":""}`,
		},
		{
			name: "kube-scheduler prioritize",
			path: PrioritizePath,
			body: `{"Pod":{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}},"Nodes":null,"NodeNames":["na"]}`,
			want: `[{"Host":"na","Score":7}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newTestHandler(t, true, zonalCluster()...).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body)))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", rec.Code, rec.Body.String())
			}
			if diff := cmp.Diff(tt.want, strings.TrimSpace(rec.Body.String())); diff != "" {
				t.Errorf("body (-want,+got):\n%s", diff)
			}
		})
	}
}
