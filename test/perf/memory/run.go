package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

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
	cfg := rest.CopyConfig(cp.config)
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

	logger.Info("Starting volplace", "binary", bin)
	p, err := startVolplace(ctx, bin, cp.kubeconfig, dir, o.SyncTimeout)
	if p != nil {
		defer func() { err = errors.Join(err, p.stop()) }()
	}
	if err != nil {
		return nil, err
	}
	report.SyncDuration = Duration(p.syncDuration)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.Settle):
	}
	if report.Memory, err = measure(ctx, p.pid(), p.healthURL+"/metrics"); err != nil {
		return nil, err
	}
	if report.Cache, err = checkFilter(ctx, p.extenderURL, objs); err != nil {
		return nil, err
	}
	if report.Cache.InUseDenied, err = checkInUse(ctx, p.webhookURL, p.caFile, objs); err != nil {
		return nil, err
	}
	return report, nil
}
