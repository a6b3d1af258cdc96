// Package harness holds what the end-to-end and deployment suites share:
// finding the test control plane, polling, reading HTTP endpoints and logs,
// and stopping processes.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Environment variables the suites read.
const (
	// EnvAssets names the directory with etcd, kube-apiserver and
	// kube-scheduler (hack/control-plane.sh prints it).
	EnvAssets = "KUBEBUILDER_ASSETS"
	// EnvRequired, set to 1, makes a missing EnvAssets a failure instead of a
	// skip.
	EnvRequired = "VOLPLACE_E2E_REQUIRED"
	// EnvVolplaceScheduler names the volplace-scheduler binary
	// (hack/volplace-scheduler.sh prints it); the suites that can run it
	// do when it is set.
	EnvVolplaceScheduler = "VOLPLACE_SCHEDULER"
)

// PollInterval is how often Poll checks.
const PollInterval = 100 * time.Millisecond

// Assets returns the control plane's directory. Without one, it ends the
// test binary: with a failure when EnvRequired is 1 (as `make test` sets),
// else with a skip message; suite names the suite in the messages and
// pkg its package path.
func Assets(suite, pkg string) string {
	assets := os.Getenv(EnvAssets)
	if assets != "" {
		return assets
	}
	hint := fmt.Sprintf("`make test` sets it, or run %s=\"$(hack/control-plane.sh)\" go test %s", EnvAssets, pkg)
	if os.Getenv(EnvRequired) == "1" {
		fmt.Fprintf(os.Stderr, "FAIL: %s: %s=1 but %s is not set: it must name the directory with etcd, kube-apiserver and kube-scheduler; %s\n", suite, EnvRequired, EnvAssets, hint)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%s: skipping: %s is not set (%s)\n", suite, EnvAssets, hint)
	os.Exit(0)
	return ""
}

// Poll calls cond every PollInterval until it returns true or an error, or
// timeout passes.
func Poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	return wait.PollUntilContextTimeout(ctx, PollInterval, timeout, true, func(context.Context) (bool, error) {
		return cond()
	})
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// HTTPGet fetches url within 5 seconds and returns the status and body.
func HTTPGet(ctx context.Context, client *http.Client, url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// Tail returns the last n lines of a file that contain grep ("" for all).
func Tail(path string, n int, grep string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", path, err)
	}
	var lines []string
	for line := range bytes.Lines(data) {
		if grep == "" || bytes.Contains(line, []byte(grep)) {
			lines = append(lines, strings.TrimRight(string(line), "\n"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// PostJSON posts a JSON body to url and decodes a 200 answer into out, if
// not nil; another status is an error quoting the answer.
func PostJSON(ctx context.Context, client *http.Client, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: HTTP %d: %s", url, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the answer of %s: %w", url, err)
	}
	return nil
}

// Terminate stops a process as a kubelet stops a container: SIGTERM, then
// SIGKILL if it is still running after timeout. exited is closed by whoever
// waits for the process; Terminate returns once it is, with an error when
// SIGTERM could not be sent or the process had to be killed.
func Terminate(p *os.Process, exited <-chan struct{}, timeout time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(timeout):
		_ = p.Kill()
		<-exited
		return fmt.Errorf("did not stop within %s of SIGTERM; killed", timeout)
	}
}
