package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSumCounter(t *testing.T) {
	page := `# HELP volplace_extender_requests_total [ALPHA] Extender requests by verb and HTTP status code.
# TYPE volplace_extender_requests_total counter
volplace_extender_requests_total{code="200",verb="filter"} 2999
volplace_extender_requests_total{code="500",verb="filter"} 1
volplace_extender_requests_total{code="200",verb="prioritize"} 3000
volplace_extender_requests_total_other{code="200",verb="filter"} 7
`
	tests := []struct {
		name, metric, label string
		want                float64
		wantOK              bool
	}{
		{name: "summed over codes", metric: volplaceMetric, label: `verb="filter"`, want: 3000, wantOK: true},
		{name: "other verb", metric: volplaceMetric, label: `verb="prioritize"`, want: 3000, wantOK: true},
		{name: "absent label", metric: volplaceMetric, label: `verb="bind"`},
		{name: "absent metric", metric: noopMetric, label: `verb="filter"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sumCounter(page, tt.metric, tt.label)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("sumCounter() = %g, %v; want %g, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestReadExtenderStats(t *testing.T) {
	volplacePage := `volplace_extender_requests_total{code="200",verb="filter"} 400
volplace_extender_requests_total{code="200",verb="prioritize"} 400
volplace_extender_request_duration_seconds_bucket{verb="filter",le="0.001"} 400
volplace_extender_request_duration_seconds_sum{verb="filter"} 0.3
volplace_extender_request_duration_seconds_sum{verb="prioritize"} 0.1
volplace_extender_request_duration_seconds_count{verb="filter"} 400
`
	tests := []struct {
		name, page, metric string
		want               extenderStats
		wantErr            bool
	}{
		{name: "volplace", page: volplacePage, metric: volplaceMetric, want: extenderStats{FilterCalls: 400, ServerTime: time.Millisecond}},
		{name: "no-op", page: "throughput_noop_extender_requests_total{verb=\"filter\"} 7\n", metric: noopMetric, want: extenderStats{FilterCalls: 7}},
		{name: "no counter", page: "other 1\n", metric: noopMetric, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tt.page)) }))
			defer srv.Close()
			got, err := readExtenderStats(t.Context(), srv.URL, tt.metric)
			if (err != nil) != tt.wantErr {
				t.Fatalf("readExtenderStats() error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("readExtenderStats() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
