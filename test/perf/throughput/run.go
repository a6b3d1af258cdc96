package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/klog/v2"

	"github.com/volplace/volplace/test/internal/harness"
	st "github.com/volplace/volplace/topology/testing"
)

// Result is one run of one variant.
type Result struct {
	Variant string `json:"variant"`
	Round   int    `json:"round"`
	// Bound counts the pods bound; PodsPerSecond is (Bound-1) over the
	// time from the first to the last binding (Window).
	Bound         int           `json:"bound"`
	PodsPerSecond float64       `json:"podsPerSecond"`
	Window        time.Duration `json:"windowNanoseconds"`
	// Wall is from kube-scheduler's start to the last binding: its start,
	// informer sync and the whole queue.
	Wall time.Duration `json:"wallNanoseconds"`
	// Misplaced counts pods bound outside their PV's zone.
	Misplaced int `json:"misplaced"`
	// FilterCalls counts the extender's filter requests (0 without one);
	// ServerTime is volplace's mean time to answer filter and prioritize
	// per filter request, from its histogram.
	FilterCalls int           `json:"filterCalls"`
	ServerTime  time.Duration `json:"serverNanoseconds"`
	// SchedulerCPU and ExtenderCPU are the CPU time kube-scheduler and the
	// extender used from kube-scheduler's start to the last binding: on a
	// shared machine the extender's CPU is taken from the scheduler's.
	SchedulerCPU time.Duration `json:"schedulerCPUNanoseconds"`
	ExtenderCPU  time.Duration `json:"extenderCPUNanoseconds"`
	// Dir holds the run's logs when they were kept.
	Dir string `json:"dir,omitempty"`
}

// runner runs variants on fresh control planes.
type runner struct {
	opts *Options
	bins binaries
}

// Run measures one variant on a fresh control plane: it creates the
// workload, starts the extender and waits until it has synced, then starts
// kube-scheduler, so the measured window holds scheduling and binding only,
// with no object creation competing for the CPUs.
func (r *runner) Run(ctx context.Context, v Variant, round int) (res Result, err error) {
	logger := klog.FromContext(ctx).WithValues("variant", v.String(), "round", round)
	res = Result{Variant: v.String(), Round: round}
	dir, err := os.MkdirTemp("", "throughput-"+v.String()+"-")
	if err != nil {
		return res, fmt.Errorf("creating the run's directory: %w", err)
	}
	defer func() {
		if r.opts.KeepLogs || r.opts.ProfileSeconds > 0 || err != nil {
			res.Dir = dir
			logger.Info("Keeping the run's logs", "dir", dir)
			return
		}
		err = errors.Join(err, os.RemoveAll(dir))
	}()

	start := time.Now()
	cp, err := startControlPlane(r.opts.Assets, dir)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, cp.Stop()) }()
	logger.V(1).Info("Started etcd and kube-apiserver", "elapsed", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	w := r.opts.workload(v.Managed)
	if err := w.Create(ctx, cp.Client, r.opts.Workers); err != nil {
		return res, fmt.Errorf("creating the objects: %w", err)
	}
	logger.Info("Created the objects", "nodes", w.Nodes, "pods", w.Pods, "claims", w.VolumePods(), "elapsed", time.Since(start).Round(time.Millisecond))

	if w.ProvisionFraction > 0 {
		stop, err := startProvisioner(ctx, cp.Client, w)
		if err != nil {
			return res, fmt.Errorf("starting the provisioner: %w", err)
		}
		defer stop()
	}

	ext, err := startExtender(ctx, v, r.bins, dir, cp.Kubeconfig)
	if err != nil {
		return res, fmt.Errorf("starting the %s extender: %w", v.Extender, err)
	}
	cfg := schedulerConfig{Variant: v, Kubeconfig: cp.Kubeconfig, QPS: r.opts.SchedulerQPS}
	var extCPU time.Duration
	if ext != nil {
		defer func() { _ = ext.Stop() }()
		cfg.ExtenderURL = ext.URL
		if extCPU, err = processCPU(ext.Pid()); err != nil {
			return res, err
		}
	}

	sched, err := startScheduler(r.bins, dir, cfg)
	if err != nil {
		return res, fmt.Errorf("starting kube-scheduler: %w", err)
	}
	defer func() { _ = sched.Stop() }()
	profiled := make(chan error, 1)
	if ext != nil && r.opts.ProfileSeconds > 0 {
		go func() { profiled <- ext.profile(ctx, r.opts.ProfileSeconds, filepath.Join(dir, "volplace-cpu.pprof")) }()
		defer func() { err = errors.Join(err, <-profiled) }()
	}
	reader := newBindingReader(sched.Started)
	waitCtx, cancel := context.WithTimeoutCause(ctx, r.opts.Timeout, fmt.Errorf("--timeout %s passed", r.opts.Timeout))
	defer cancel()
	if err := followBindings(waitCtx, sched.Log, reader, w.Pods, sched.Exited()); err != nil {
		err = fmt.Errorf("waiting for the pods to be bound: %w; last lines of %s:\n%s", err, sched.Log, harness.Tail(sched.Log, 20, ""))
		if ext != nil {
			err = fmt.Errorf("%w\nlast lines of %s:\n%s", err, ext.Log, harness.Tail(ext.Log, 10, ""))
		}
		return res, err
	}
	res.measure(reader.Bindings(), sched.Started)
	res.Misplaced = w.misplaced(reader.Bindings())
	if res.SchedulerCPU, err = processCPU(sched.Pid()); err != nil {
		return res, err
	}
	if ext != nil {
		cpu, err := processCPU(ext.Pid())
		if err != nil {
			return res, err
		}
		res.ExtenderCPU = cpu - extCPU
		stats, err := ext.Stats(ctx)
		if err != nil {
			return res, err
		}
		res.FilterCalls, res.ServerTime = stats.FilterCalls, stats.ServerTime
	}
	if res.Misplaced > 0 && checksZones(v) {
		return res, fmt.Errorf("%d pods were bound outside their PV's zone", res.Misplaced)
	}
	return res, nil
}

// checksZones tells whether anything in the variant checks PV node
// affinity: the in-tree VolumeBinding plugin or volplace.
func checksZones(v Variant) bool { return !v.ExtenderOnly || v.Extender == ExtenderVolplace }

// measure sets the rate and times from the bindings.
func (res *Result) measure(bindings []Binding, started time.Time) {
	res.Bound = len(bindings)
	if len(bindings) == 0 {
		return
	}
	first, last := bindings[0].Time, bindings[0].Time
	for _, b := range bindings[1:] {
		if b.Time.Before(first) {
			first = b.Time
		}
		if b.Time.After(last) {
			last = b.Time
		}
	}
	res.Window = last.Sub(first)
	res.Wall = last.Sub(started)
	if res.Window > 0 {
		res.PodsPerSecond = float64(len(bindings)-1) / res.Window.Seconds()
	}
}

// misplaced counts the bindings of pods with a PV to a node of another
// zone.
func (w Workload) misplaced(bindings []Binding) int {
	podZone := make(map[string]string, w.Pods)
	for i := range w.Pods {
		podZone[namespace+"/"+PodName(i)] = w.PodZone(i)
	}
	nodeZone := make(map[string]string, w.Nodes)
	for i := range w.Nodes {
		nodeZone[st.NodeName(i)] = w.NodeZone(i)
	}
	n := 0
	for _, b := range bindings {
		if zone := podZone[b.Pod]; zone != "" && nodeZone[b.Node] != zone {
			n++
		}
	}
	return n
}
