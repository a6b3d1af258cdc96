package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/volplace/volplace/test/internal/harness"
)

// binaries are the programs a run starts.
type binaries struct {
	// Volplace is `volplace`; Self this program (for noop-extender);
	// Assets the directory with kube-scheduler; Scheduler is
	// volplace-scheduler (the plugin variant).
	Volplace, Self, Assets, Scheduler string
}

// scheduler returns the scheduler binary of a variant.
func (b binaries) scheduler(v Variant) string {
	if v.Plugin {
		return b.Scheduler
	}
	return filepath.Join(b.Assets, "kube-scheduler")
}

// extenderProcess is a running extender.
type extenderProcess struct {
	*harness.Process
	// URL is the base URL of the verbs.
	URL string
	// metricsURL and metric locate its counter of requests by verb.
	metricsURL, metric string
	// profileURL serves Go's CPU profile (volplace only).
	profileURL string
}

// Stats reads the extender's request count and answer times.
func (e *extenderProcess) Stats(ctx context.Context) (extenderStats, error) {
	return readExtenderStats(ctx, e.metricsURL, e.metric)
}

// startExtender starts the variant's extender as a process of its own,
// listening on loopback, and waits until it is ready: volplace's /readyz
// (every informer cache synced), the no-op extender's /healthz. Without an
// extender it returns nil.
func startExtender(ctx context.Context, v Variant, bins binaries, dir, kubeconfig string) (*extenderProcess, error) {
	if v.Extender == ExtenderNone {
		return nil, nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	e := &extenderProcess{URL: "http://" + addr}
	var ready, healthAddr string
	if v.Extender == ExtenderVolplace {
		if healthAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		e.Process, err = harness.StartProcess("volplace", dir, bins.Volplace, []string{"serve",
			"--kubeconfig=" + kubeconfig,
			"--extender-bind-address=" + addr,
			"--health-bind-address=" + healthAddr,
			"--webhook-bind-address=",
			"--profiling",
		}, nil)
		ready, e.metricsURL, e.metric = "http://"+healthAddr+"/readyz", "http://"+healthAddr+"/metrics", volplaceMetric
		e.profileURL = "http://" + healthAddr + "/debug/pprof/profile"
	} else {
		e.Process, err = harness.StartProcess("noop-extender", dir, bins.Self, []string{noopCommand, "--addr=" + addr}, nil)
		ready, e.metricsURL, e.metric = e.URL+noopHealthPath, e.URL+noopMetricsPath, noopMetric
	}
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, e.Process, ready); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	port, err := harness.FreePort()
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// startScheduler starts kube-scheduler (volplace-scheduler for the plugin
// variant) at --v=2, the level of "Successfully bound pod to node", with
// the variant's configuration, written into dir.
func startScheduler(bins binaries, dir string, cfg schedulerConfig) (*harness.Process, error) {
	data, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	p, _, err := harness.LaunchScheduler(bins.scheduler(cfg.Variant), dir, "kube-scheduler", cfg.Kubeconfig, string(data))
	return p, err
}

// waitReady polls url until it answers 200, the process ends or
// startTimeout passes.
func waitReady(ctx context.Context, p *harness.Process, url string) error {
	err := harness.Poll(ctx, startTimeout, func() (bool, error) {
		select {
		case <-p.Exited():
			return false, p.Failure()
		default:
		}
		code, _, err := harness.HTTPGet(ctx, http.DefaultClient, url)
		return err == nil && code == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", url, err)
	}
	return nil
}

// profile records the extender's CPU profile for seconds into path; it
// returns at once for an extender without profiles.
func (e *extenderProcess) profile(ctx context.Context, seconds int, path string) error {
	if e.profileURL == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.profileURL+"?seconds="+strconv.Itoa(seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("recording a CPU profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("recording a CPU profile: HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
