package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2/ktesting"

	"github.com/volplace/volplace/test/internal/harness"
	st "github.com/volplace/volplace/topology/testing"
)

var assets string

func TestMain(m *testing.M) {
	assets = harness.Assets("memory benchmark", "./test/perf/memory")
	os.Exit(m.Run())
}

// TestRun runs the benchmark on a cluster of 100 nodes: the figures must be
// there and volplace's caches must hold the whole cluster.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	o := NewOptions()
	o.Assets, o.Size, o.Workers, o.Settle = assets, 0.02, 8, time.Second
	report, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	objs := st.LargeCluster(scaledSize(o.Size))
	statuses := 0
	for _, obj := range objs {
		switch obj.(type) {
		case *corev1.PersistentVolume, *corev1.PersistentVolumeClaim:
			statuses++
		}
	}
	// The namespaces default and kube-system, each object, each status.
	if want := int64(2 + len(objs) + statuses); report.Objects != len(objs) || report.Requests != want {
		t.Errorf("created %d objects with %d requests, want %d with %d", report.Objects, report.Requests, len(objs), want)
	}
	if len(report.Runs) != 1 {
		t.Fatalf("%d volplace runs, want 1", len(report.Runs))
	}
	run := report.Runs[0]
	m := run.Memory
	for name, v := range map[string]uint64{"VmRSS": m.RSS, "VmHWM": m.HWM, "heap in use": m.HeapInuse, "heap allocated": m.HeapAlloc,
		"live heap": m.HeapLive, "runtime total": m.Sys, "goroutines": m.Goroutines} {
		if v == 0 {
			t.Errorf("%s is 0", name)
		}
	}
	if m.HWM < m.RSS || m.Sys < m.HeapInuse {
		t.Errorf("implausible memory figures: %+v", m)
	}
	c := run.Cache
	if !c.OK() || c.Nodes != 100 || c.Fit == 0 || c.Unknown != 0 {
		t.Errorf("cache check: %+v, want a match over 100 nodes, some fitting, none unknown, and the in-use delete denied", c)
	}
	if report.CreateDuration <= 0 || run.SyncDuration <= 0 {
		t.Errorf("durations: create %s, sync %s", time.Duration(report.CreateDuration), time.Duration(run.SyncDuration))
	}
	var out strings.Builder
	if err := report.Write(&out, outputTable); err != nil || !strings.Contains(out.String(), "VmRSS") {
		t.Errorf("table report: %v\n%s", err, out.String())
	}
}

func TestProcField(t *testing.T) {
	status := []byte("Name:\tvolplace\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t12\n")
	tests := []struct {
		name    string
		field   string
		want    uint64
		wantErr string
	}{
		{name: "VmRSS", field: "VmRSS", want: 100 << 20},
		{name: "VmHWM", field: "VmHWM", want: 200 << 20},
		{name: "not in kB", field: "Threads", wantErr: "unexpected /proc status line"},
		{name: "missing", field: "VmSwap", wantErr: "no VmSwap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := procField(status, tt.field)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("procField: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("procField = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestMetricValues(t *testing.T) {
	page := []byte(`# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 1.2345e+07
go_gc_duration_seconds{quantile="0.5"} 0.0001
volplace_webhook_decisions_total{decision="allowed",rule="x"} 3
`)
	want := map[string]float64{"go_goroutines": 42, "go_memstats_heap_inuse_bytes": 12345000}
	if diff := cmp.Diff(want, metricValues(page)); diff != "" {
		t.Errorf("metricValues (-want,+got):\n%s", diff)
	}
}
