package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"
)

func TestNoopExtender(t *testing.T) {
	srv := httptest.NewServer((&noopExtender{}).Handler())
	defer srv.Close()
	tests := []struct {
		name, method, path, body string
		wantCode                 int
		want                     any // decoded into a value of the same type
		// wantFilters and wantPrioritizes are the counts on the metrics
		// page, after the cases above.
		wantFilters, wantPrioritizes float64
	}{
		{
			name: "filter keeps every node", method: http.MethodPost, path: "/filter",
			body:     `{"Pod":{"metadata":{"name":"p"}},"NodeNames":["a","b"]}`,
			wantCode: http.StatusOK, want: &extenderv1.ExtenderFilterResult{NodeNames: &[]string{"a", "b"}},
		},
		{
			name: "prioritize scores 0", method: http.MethodPost, path: "/prioritize",
			body:     `{"Pod":{"metadata":{"name":"p"}},"NodeNames":["a","b"]}`,
			wantCode: http.StatusOK, want: &extenderv1.HostPriorityList{{Host: "a"}, {Host: "b"}},
		},
		{
			name: "prioritize full nodes", method: http.MethodPost, path: "/prioritize",
			body:     `{"Pod":{},"Nodes":{"items":[{"metadata":{"name":"a"}}]}}`,
			wantCode: http.StatusOK, want: &extenderv1.HostPriorityList{{Host: "a"}},
		},
		{name: "bad JSON", method: http.MethodPost, path: "/filter", body: `{`, wantCode: http.StatusBadRequest},
		{name: "health", method: http.MethodGet, path: noopHealthPath, wantCode: http.StatusOK},
		{name: "GET filter", method: http.MethodGet, path: "/filter", wantCode: http.StatusMethodNotAllowed},
		{name: "counts", method: http.MethodGet, path: noopMetricsPath, wantCode: http.StatusOK, wantFilters: 2, wantPrioritizes: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s %s: HTTP %d (%s), want %d", tt.method, tt.path, resp.StatusCode, body, tt.wantCode)
			}
			if tt.path == noopMetricsPath {
				filters, _ := sumCounter(string(body), noopMetric, `verb="filter"`)
				prioritizes, _ := sumCounter(string(body), noopMetric, `verb="prioritize"`)
				if filters != tt.wantFilters || prioritizes != tt.wantPrioritizes {
					t.Errorf("counted %g filter and %g prioritize requests, want %g and %g:\n%s", filters, prioritizes, tt.wantFilters, tt.wantPrioritizes, body)
				}
			}
			if tt.want == nil {
				return
			}
			got := reflect.New(reflect.TypeOf(tt.want).Elem()).Interface()
			if err := json.Unmarshal(body, got); err != nil {
				t.Fatalf("decoding %s: %v", body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want,+got):\n%s", diff)
			}
		})
	}
}
