package faults

import (
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// process is a child process of the suite (volplace or kube-scheduler)
// whose output goes to a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	// err is the exit status, set before done closes.
	err error
	// killed is set by kill, before the process ends.
	killed atomic.Bool
	// cleanExit makes stop fail when the process does not exit with status
	// 0 on SIGTERM (kube-scheduler without leader election exits with 1).
	cleanExit bool
}

// startProcess runs path with args, its output appended to logPath, and
// extra variables added to the environment.
func startProcess(name, logPath string, env []string, path string, args ...string) (*process, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	// Should the test binary die without its deferred teardown, take the
	// child along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, with its status.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// kill sends SIGKILL, as the OOM killer or a node failure would, and waits
// for the process to be gone.
func (p *process) kill() {
	p.killed.Store(true)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits up to timeout for the process to exit, then
// kills it. It returns an error when the process had ended by itself with
// an error, outlives the timeout, or (with cleanExit) exits with an error.
func (p *process) stop(timeout time.Duration) error {
	if done, err := p.exited(); done {
		if err != nil && !p.killed.Load() {
			return fmt.Errorf("%s ended by itself with %w; log tail:\n%s", p.name, err, p.tail(20, ""))
		}
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil && p.cleanExit {
			return fmt.Errorf("%s exited with %w after SIGTERM; log tail:\n%s", p.name, p.err, p.tail(20, ""))
		}
		return nil
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("%s did not exit within %v of SIGTERM", p.name, timeout)
	}
}

// tail returns the last n lines of the process's log that contain grep.
func (p *process) tail(n int, grep string) string { return harness.Tail(p.log, n, grep) }

// earlyExit describes a process that ended before it was ready.
func (p *process) earlyExit() error {
	status := "status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	return fmt.Errorf("%s exited early (%s); log tail:\n%s", p.name, status, p.tail(20, ""))
}
