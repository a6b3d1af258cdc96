package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/volplace/volplace/test/internal/harness"
	st "github.com/volplace/volplace/topology/testing"
)

// scaledSize is BenchmarkSize's nodes, pods and claims times f (at least
// one each), over its zones (fewer only with fewer nodes).
func scaledSize(f float64) st.ClusterSize {
	b := st.BenchmarkSize
	n := func(v int) int { return int(math.Max(1, math.Round(float64(v)*f))) }
	return st.ClusterSize{Nodes: n(b.Nodes), Zones: min(b.Zones, n(b.Nodes)), Pods: n(b.Pods), Claims: n(b.Claims)}
}

// Run starts the control plane, creates the cluster, runs volplace against
// it and measures it; everything it started is stopped on return.
func Run(ctx context.Context, o *Options) (report *Report, err error) {
	logger := klog.FromContext(ctx)
	dir, err := os.MkdirTemp("", "volplace-memory-")
	if err != nil {
		return nil, fmt.Errorf("creating a work directory: %w", err)
	}
	defer func() {
		if err != nil {
			logger.Info("Keeping the work directory of the failed run", "dir", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	bin := o.Volplace
	if bin == "" {
		if bin, err = buildVolplace(ctx, dir); err != nil {
			return nil, err
		}
	}
	cp, err := startControlPlane(o.Assets, dir)
	if cp != nil {
		defer func() { err = errors.Join(err, cp.stop()) }()
	}
	if err != nil {
		return nil, err
	}

	report = &Report{Cluster: scaledSize(o.Size), Workers: o.Workers}
	objs := apiObjects(st.LargeCluster(report.Cluster))
	report.Objects = len(objs)
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS, cfg.Burst, cfg.UserAgent = o.QPS, o.Burst, "volplace-memory"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a client: %w", err)
	}
	logger.Info("Creating the cluster", "objects", len(objs), "workers", o.Workers)
	start := time.Now()
	report.Requests, err = createAll(ctx, cs, objs, o.Workers)
	report.CreateDuration = Duration(time.Since(start))
	if err != nil {
		return nil, err
	}

	for _, limit := range o.GoMemLimits {
		run, err := measureVolplace(ctx, o, bin, cp.kubeconfig, dir, limit, objs)
		if err != nil {
			return nil, err
		}
		report.Runs = append(report.Runs, *run)
	}
	return report, nil
}

// measureVolplace runs volplace with a GOMEMLIMIT until it has synced and
// settled, measures it, checks its caches and stops it.
func measureVolplace(ctx context.Context, o *Options, bin, kubeconfig, dir, limit string, objs []runtime.Object) (run *VolplaceRun, err error) {
	klog.FromContext(ctx).Info("Starting volplace", "binary", bin, "GOMEMLIMIT", limit)
	p, err := startVolplace(ctx, bin, kubeconfig, dir, limit, o.SyncTimeout)
	if p != nil {
		defer func() { err = errors.Join(err, p.stop()) }()
	}
	if err != nil {
		return nil, err
	}
	run = &VolplaceRun{GoMemLimit: limit, SyncDuration: Duration(p.syncDuration)}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.Settle):
	}
	if run.Memory, err = measure(ctx, p.pid(), p.healthURL+"/metrics"); err != nil {
		return nil, err
	}
	if run.Cache, err = checkFilter(ctx, p.extenderURL, objs); err != nil {
		return nil, err
	}
	if run.Cache.InUseDenied, err = checkInUse(ctx, p.webhookURL, p.caFile, objs); err != nil {
		return nil, err
	}
	if o.HeapProfiles != "" {
		name := "heap-gomemlimit-" + limit + ".pprof"
		if limit == "" {
			name = "heap.pprof"
		}
		if err := saveHeapProfile(ctx, p.healthURL, filepath.Join(o.HeapProfiles, name)); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// saveHeapProfile saves volplace's heap profile, after a GC, to path.
func saveHeapProfile(ctx context.Context, healthURL, path string) error {
	code, body, err := harness.HTTPGet(ctx, http.DefaultClient, healthURL+"/debug/pprof/heap?gc=1")
	if err != nil {
		return fmt.Errorf("reading volplace's heap profile: %w", err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("reading volplace's heap profile: HTTP %d", code)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}
