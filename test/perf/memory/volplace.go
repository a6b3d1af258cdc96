package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// volplacePackage is built when no binary is given.
const volplacePackage = "github.com/volplace/volplace/cmd/volplace"

// stopTimeout bounds volplace's graceful shutdown.
const stopTimeout = 20 * time.Second

// volplaceProcess is a running `volplace serve`.
type volplaceProcess struct {
	cmd          *exec.Cmd
	exited       chan struct{}
	log          string
	healthURL    string
	extenderURL  string
	webhookURL   string
	caFile       string
	started      time.Time
	syncDuration time.Duration
}

// buildVolplace builds volplace into dir and returns the binary's path.
func buildVolplace(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "volplace")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, volplacePackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", volplacePackage, err, out)
	}
	return bin, nil
}

// startVolplace runs `volplace serve` against kubeconfig with every server
// on (the webhooks with a certificate written to dir) on loopback ports,
// and waits until /readyz reports its informer caches synced.
func startVolplace(ctx context.Context, bin, kubeconfig, dir, goMemLimit string, timeout time.Duration) (*volplaceProcess, error) {
	certDir := filepath.Join(dir, "certs")
	if err := writeServingCert(ctx, bin, certDir); err != nil {
		return nil, err
	}
	var ports [3]int
	for i := range ports {
		port, err := harness.FreePort()
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ports[i] = port
	}
	addr := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	p := &volplaceProcess{
		log:         filepath.Join(dir, "volplace.log"),
		extenderURL: "http://" + addr(ports[0]),
		healthURL:   "http://" + addr(ports[1]),
		webhookURL:  "https://" + addr(ports[2]),
		caFile:      filepath.Join(certDir, "ca.crt"),
		exited:      make(chan struct{}),
	}
	out, err := os.Create(p.log)
	if err != nil {
		return nil, fmt.Errorf("creating volplace's log: %w", err)
	}
	p.cmd = exec.Command(bin, "serve",
		"--kubeconfig="+kubeconfig,
		"--extender-bind-address="+addr(ports[0]),
		"--health-bind-address="+addr(ports[1]),
		"--webhook-bind-address="+addr(ports[2]),
		"--cert-dir="+certDir,
		"--profiling",
	)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if goMemLimit != "" {
		p.cmd.Env = append(os.Environ(), "GOMEMLIMIT="+goMemLimit)
	}
	// Should this program die without stopping volplace, take it along.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("starting volplace: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = out.Close()
		close(p.exited)
	}()
	err = harness.Poll(ctx, timeout, func() (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("volplace exited: %v", p.cmd.ProcessState)
		default:
		}
		code, _, err := harness.HTTPGet(ctx, http.DefaultClient, p.healthURL+"/readyz")
		return err == nil && code == http.StatusOK, nil
	})
	p.syncDuration = time.Since(p.started)
	if err != nil {
		return p, fmt.Errorf("waiting for volplace's /readyz: %w; log tail:\n%s", err, harness.Tail(p.log, 20, ""))
	}
	return p, nil
}

// writeServingCert writes the webhooks' CA and serving certificate with
// `volplace certs generate`.
func writeServingCert(ctx context.Context, bin, dir string) error {
	out, err := exec.CommandContext(ctx, bin, "certs", "generate", "--ip=127.0.0.1", "--dns-name=localhost", "--out="+dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("volplace certs generate: %w\n%s", err, out)
	}
	return nil
}

// pid returns volplace's process ID.
func (p *volplaceProcess) pid() int { return p.cmd.Process.Pid }

// stop ends volplace with SIGTERM, then SIGKILL after stopTimeout.
func (p *volplaceProcess) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := harness.Terminate(p.cmd.Process, p.exited, stopTimeout); err != nil {
		return fmt.Errorf("stopping volplace: %w", err)
	}
	return nil
}
