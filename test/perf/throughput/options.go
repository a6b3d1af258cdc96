package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/volplace/volplace/test/internal/harness"
)

// Output formats of the final report.
const (
	OutputMarkdown = "markdown"
	OutputJSON     = "json"
)

// Options are the flags of the benchmark.
type Options struct {
	// Nodes, Pods and Zones size the cluster.
	Nodes, Pods, Zones int
	// VolumeFraction is the share of the pods that have a volume; the others
	// have none (the mix that managedResources gating is for).
	VolumeFraction float64
	// ProvisionFraction is the share of the pods with a volume whose claim
	// is still to be provisioned (WaitForFirstConsumer, unbound) rather
	// than bound to a zonal PV; the tool's own provisioner provisions it.
	ProvisionFraction float64
	// Variants are run in turn in every round, each on a fresh control
	// plane.
	Variants []string
	// Rounds is how many times every variant runs.
	Rounds int
	// Output is the format of the report on standard output.
	Output string
	// KeepLogs keeps every run's directory (logs, configurations).
	KeepLogs bool
	// Workers is how many objects are created at once.
	Workers int
	// SchedulerQPS is kube-scheduler's clientConnection qps and burst.
	SchedulerQPS int
	// Timeout bounds the wait for every pod to be bound, per run.
	Timeout time.Duration
	// VolplaceBinary is a prebuilt volplace; empty builds ./cmd/volplace.
	VolplaceBinary string
	// SchedulerBinary is a prebuilt volplace-scheduler; empty builds it
	// with hack/volplace-scheduler.sh when the plugin variant runs.
	SchedulerBinary string
	// Assets is the directory with etcd, kube-apiserver and kube-scheduler.
	Assets string
	// ProfileSeconds, when positive, records a CPU profile of volplace
	// for that long from kube-scheduler's start, kept in the run's
	// directory.
	ProfileSeconds int
}

// NewOptions returns the defaults: issue 6's benchmark 3.
func NewOptions() *Options {
	return &Options{
		Nodes:          1000,
		Pods:           3000,
		Zones:          10,
		VolumeFraction: 1,
		Variants:       []string{"none", "noop", "volplace"},
		Rounds:         3,
		Output:         OutputMarkdown,
		Workers:        32,
		SchedulerQPS:   5000,
		Timeout:        15 * time.Minute,
	}
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "Number of Nodes, each with a CSINode registering the zonal CSI driver.")
	fs.IntVar(&o.Pods, "pods", o.Pods, "Number of pods to schedule.")
	fs.IntVar(&o.Zones, "zones", o.Zones, "Number of zones the Nodes and PVs are spread over.")
	fs.Float64Var(&o.ProvisionFraction, "provision-fraction", o.ProvisionFraction, "Share of the pods with a volume whose claim is unbound, WaitForFirstConsumer, for the tool's stand-in provisioner to provision once kube-scheduler selects a node (0 to 1); the others are bound to zonal PVs.")
	fs.Float64Var(&o.VolumeFraction, "volume-fraction", o.VolumeFraction, "Share of the pods that use a bound zonal PV (0 to 1); the others have no volume. 0.5 is the mix on which to compare the -managed variants.")
	fs.StringSliceVar(&o.Variants, "variants", o.Variants, "Variants to run, alternated within each round: plugin (volplace-scheduler), or none, noop or volplace (the extender), optionally followed by -only (in-tree volume plugins disabled) and -managed (the extender is called only for pods requesting "+storageResource+").")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "How many times every variant runs.")
	fs.StringVar(&o.Output, "output", o.Output, "Format of the report on standard output: markdown or json.")
	fs.BoolVar(&o.KeepLogs, "keep-logs", o.KeepLogs, "Keep each run's directory with the kube-scheduler, extender and configuration files.")
	fs.IntVar(&o.Workers, "workers", o.Workers, "How many API requests create the objects at once.")
	fs.IntVar(&o.SchedulerQPS, "scheduler-qps", o.SchedulerQPS, "kube-scheduler's client QPS and burst; its default of 50 would cap the binding rate.")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long a run may wait for every pod to be bound.")
	fs.StringVar(&o.VolplaceBinary, "volplace-binary", o.VolplaceBinary, "A prebuilt volplace binary; empty builds ./cmd/volplace of this module.")
	fs.IntVar(&o.ProfileSeconds, "volplace-profile-seconds", o.ProfileSeconds, "Record volplace's CPU profile for this many seconds from kube-scheduler's start into the run's directory (kept); 0 records none.")
	fs.StringVar(&o.SchedulerBinary, "volplace-scheduler-binary", o.SchedulerBinary, "A prebuilt volplace-scheduler for the plugin variant; empty builds it with hack/volplace-scheduler.sh.")
	fs.StringVar(&o.Assets, "assets", o.Assets, "Directory with etcd, kube-apiserver and kube-scheduler; empty means $"+harness.EnvAssets+" (hack/control-plane.sh prints it).")
}

// Validate checks the flags.
func (o *Options) Validate() []error {
	var errs []error
	positive := []struct {
		name  string
		value int
	}{
		{"--nodes", o.Nodes}, {"--pods", o.Pods}, {"--zones", o.Zones}, {"--rounds", o.Rounds},
		{"--workers", o.Workers}, {"--scheduler-qps", o.SchedulerQPS},
	}
	for _, p := range positive {
		if p.value <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, not %d", p.name, p.value))
		}
	}
	if o.Pods < 2 {
		errs = append(errs, fmt.Errorf("--pods must be at least 2 to measure a rate, not %d", o.Pods))
	}
	if o.Zones > o.Nodes {
		errs = append(errs, fmt.Errorf("--zones (%d) must not exceed --nodes (%d): every zone needs a node", o.Zones, o.Nodes))
	}
	if o.Zones > 0 && o.Nodes >= o.Zones {
		w := o.workload(false)
		perZone := (w.VolumePods() + o.Zones - 1) / o.Zones
		if perZone > maxPodsPerNode*(o.Nodes/o.Zones) || o.Pods > maxPodsPerNode*o.Nodes {
			errs = append(errs, fmt.Errorf("--pods %d do not fit %d nodes in %d zones (%d pods a node at the most)", o.Pods, o.Nodes, o.Zones, maxPodsPerNode))
		}
	}
	if o.VolumeFraction < 0 || o.VolumeFraction > 1 {
		errs = append(errs, fmt.Errorf("--volume-fraction must be between 0 and 1, not %g", o.VolumeFraction))
	}
	if o.ProvisionFraction < 0 || o.ProvisionFraction > 1 {
		errs = append(errs, fmt.Errorf("--provision-fraction must be between 0 and 1, not %g", o.ProvisionFraction))
	}
	if len(o.Variants) == 0 {
		errs = append(errs, errors.New("--variants must name at least one variant"))
	}
	seen := map[string]bool{}
	for _, name := range o.Variants {
		if _, err := ParseVariant(name); err != nil {
			errs = append(errs, fmt.Errorf("--variants: %w", err))
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("--variants names %s twice", name))
		}
		seen[name] = true
	}
	if o.Output != OutputMarkdown && o.Output != OutputJSON {
		errs = append(errs, fmt.Errorf("--output must be %s or %s, not %q", OutputMarkdown, OutputJSON, o.Output))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout must be positive, not %s", o.Timeout))
	}
	return errs
}

// variants parses Variants; call after Validate.
func (o *Options) variants() []Variant {
	vs := make([]Variant, 0, len(o.Variants))
	for _, name := range o.Variants {
		v, _ := ParseVariant(name)
		vs = append(vs, v)
	}
	return vs
}

// workload is the cluster of a run.
func (o *Options) workload(managed bool) Workload {
	return Workload{Nodes: o.Nodes, Pods: o.Pods, Zones: o.Zones, VolumeFraction: o.VolumeFraction, ProvisionFraction: o.ProvisionFraction, Managed: managed}
}
