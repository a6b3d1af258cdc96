package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/google/go-cmp/cmp"

	"github.com/volplace/volplace/test/internal/harness"
)

// TestMain lets the test binary serve as the no-op extender: Run starts
// os.Executable() with noopCommand.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == noopCommand {
		cmd := newCommand()
		cmd.SetArgs(os.Args[1:])
		if err := cmd.Execute(); err != nil {
			klog.Background().Error(err, "No-op extender failed")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestThroughput runs the whole benchmark at a tiny size, half the pods
// with a volume: every variant must bind every pod in its PV's zone at a
// positive rate, the extenders must have been called for every pod, and
// with managedResources for the pods with a volume only. In
// volplace-only-managed nothing but volplace checks the zones.
func TestThroughput(t *testing.T) {
	assets := os.Getenv(harness.EnvAssets)
	if assets == "" {
		if os.Getenv(harness.EnvRequired) == "1" {
			t.Fatalf("%s=1 but %s is not set; run %s=\"$(hack/control-plane.sh)\" go test ./test/perf/throughput", harness.EnvRequired, harness.EnvAssets, harness.EnvAssets)
		}
		t.Skipf("%s is not set (hack/control-plane.sh prints it)", harness.EnvAssets)
	}
	o := NewOptions()
	o.Nodes, o.Pods, o.Zones, o.Rounds, o.VolumeFraction = 20, 40, 4, 1, 0.5
	// Three runs, as each needs a fresh control plane (5 to 10 s to start):
	// volplace-only-managed covers volplace, the profile without volume
	// plugins and managedResources at once.
	o.Variants = []string{"none", "noop", "volplace-only-managed"}
	// volplace-scheduler, when the e2e suites run it (make test builds it).
	if bin := os.Getenv(harness.EnvVolplaceScheduler); bin != "" {
		o.Variants, o.SchedulerBinary = append(o.Variants, variantPlugin), bin
	}
	o.Output, o.Assets, o.Timeout = OutputJSON, assets, 2*time.Minute
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	_, ctx := ktesting.NewTestContext(t)
	var out bytes.Buffer
	if err := Run(ctx, o, &out); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, out.String())
	}
	volumePods := o.workload(false).VolumePods()
	ran := map[string]bool{}
	for _, r := range rep.Results {
		ran[r.Variant] = true
		v, err := ParseVariant(r.Variant)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Extender == ExtenderNone && r.FilterCalls != 0,
			v.Extender != ExtenderNone && !v.Managed && r.FilterCalls < o.Pods,
			v.Managed && (r.FilterCalls < volumePods || r.FilterCalls >= o.Pods):
			t.Errorf("variant %s: %d filter calls for %d pods, %d with a volume", r.Variant, r.FilterCalls, o.Pods, volumePods)
		}
		if (v.Extender == ExtenderVolplace) != (r.ServerTime > 0) || r.SchedulerCPU <= 0 {
			t.Errorf("variant %s: volplace's answer time %s, kube-scheduler's CPU time %s; want an answer time for volplace only, and CPU time", r.Variant, r.ServerTime, r.SchedulerCPU)
		}
		if r.Bound != o.Pods || r.PodsPerSecond <= 0 || r.Misplaced != 0 || r.Wall < r.Window {
			t.Errorf("variant %s: %d of %d pods bound, %.1f pods/s, %d misplaced, wall %s, window %s; want all bound in their zone at a positive rate",
				r.Variant, r.Bound, o.Pods, r.PodsPerSecond, r.Misplaced, r.Wall, r.Window)
		}
	}
	for _, v := range o.Variants {
		if !ran[v] {
			t.Errorf("variant %s did not run", v)
		}
	}
	// volplace-only-managed has no volplace-only, noop-only-managed or
	// none-only run to compare with; plugin is compared with none.
	var ratios []string
	for _, r := range rep.Ratios {
		ratios = append(ratios, r.Of+"/"+r.To)
	}
	want := []string{"noop/none"}
	if slices.Contains(o.Variants, variantPlugin) {
		want = append(want, "plugin/none")
	}
	if diff := cmp.Diff(want, ratios); diff != "" {
		t.Errorf("ratios (-want,+got):\n%s", diff)
	}
}
