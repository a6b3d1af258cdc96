package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// stopTimeout is how long a process has to end after SIGTERM.
const stopTimeout = 20 * time.Second

// process is a subprocess whose output goes to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	log     string
	started time.Time
	exited  chan struct{}
}

// startProcess starts bin with args, its standard output and error going to
// <dir>/<name>.log. The process gets SIGKILL should this program die
// without stopping it.
func startProcess(dir, name, bin string, args ...string) (*process, error) {
	p := &process{name: name, log: filepath.Join(dir, name+".log"), exited: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
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
func (p *process) Exited() <-chan struct{} { return p.exited }

// Stop sends SIGTERM, then SIGKILL after stopTimeout, and waits for the end.
func (p *process) Stop() {
	if p == nil {
		return
	}
	_ = harness.Terminate(p.cmd.Process, p.exited, stopTimeout)
}

// Failure describes an early end, with the tail of the log; call it once
// Exited is closed.
func (p *process) Failure() error {
	return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", p.name, p.cmd.ProcessState, p.log, harness.Tail(p.log, 20, ""))
}
