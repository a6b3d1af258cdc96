package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// StopTimeout is how long Process.Stop waits after SIGTERM.
const StopTimeout = 20 * time.Second

// Process is a component of the system under test running as a child
// process (kube-scheduler, kube-controller-manager, a CSI sidecar), its
// output going to a log file.
type Process struct {
	// Name names it in errors.
	Name string
	// Log is the file its stdout and stderr go to.
	Log string
	// Started is when it was started.
	Started time.Time

	cmd    *exec.Cmd
	exited chan struct{}
}

// StartProcess starts bin with args and extra environment, logging to
// dir/<name>.log. Should the test binary die without its teardown, the
// process is killed with it.
func StartProcess(name, dir, bin string, args, env []string) (*Process, error) {
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), exited: make(chan struct{})}
	out, err := os.Create(p.Log)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = out.Close()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Failure describes an early end, with the tail of the log; call it once
// Exited is closed.
func (p *Process) Failure() error {
	return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", p.Name, p.cmd.ProcessState, p.Log, p.Tail(20, ""))
}

// Stop ends the process: SIGTERM, then SIGKILL after StopTimeout.
func (p *Process) Stop() error {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := Terminate(p.cmd.Process, p.exited, StopTimeout); err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	return nil
}

// Tail returns the last n lines of its log that contain grep ("" for all);
// "" for a process never started.
func (p *Process) Tail(n int, grep string) string {
	if p == nil {
		return ""
	}
	return Tail(p.Log, n, grep)
}

// WaitHealthy polls url (HTTPS with any certificate, as the components
// serve their health endpoints) until it answers 200, failing early if the
// process exits.
func (p *Process) WaitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a loopback health check of a component under test
	var exited bool
	err := Poll(ctx, timeout, func() (bool, error) {
		select {
		case <-p.exited:
			exited = true
			return false, p.Failure()
		default:
		}
		code, _, err := HTTPGet(ctx, client, url)
		return err == nil && code == http.StatusOK, nil
	})
	if err != nil && !exited {
		return fmt.Errorf("waiting for %s of %s: %w; last lines of %s:\n%s", url, p.Name, err, p.Log, p.Tail(30, ""))
	}
	return err
}
