package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// childEnv, set to 1 in the server process's environment, tells a test
// binary, which the server process re-executes under go test, to run the
// tool's main instead of its tests (see TestMain); the tool ignores it.
const childEnv = "EXTENDERLOAD_SERVE"

const (
	// startTimeout bounds the server process's start, which builds the
	// cache: 10 to 20 s for the benchmark cluster.
	startTimeout = 5 * time.Minute
	// stopTimeout bounds its exit once its stdin is closed.
	stopTimeout = 10 * time.Second
)

// child is the server process of a process-mode run.
type child struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
	// drained closes when the child's stdout reaches EOF; cmd.Wait must
	// not close the pipe before.
	drained chan struct{}
}

// startChild runs this program again as the server and waits until it
// takes requests.
func (o *Options) startChild(ctx context.Context) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to run the server: %w", err)
	}
	cmd := exec.Command(exe, o.childArgs()...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server process: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, drained: make(chan struct{})}
	first := make(chan string, 1)
	go c.readStdout(stdout, first)
	if c.addr, err = waitAddr(ctx, first); err != nil {
		return nil, errors.Join(fmt.Errorf("starting the server process: %w", err), c.stop(true))
	}
	return c, nil
}

// readStdout sends the child's first line of output on first (or closes it
// if there is none), then discards the rest, so that the child never blocks
// writing, until EOF.
func (c *child) readStdout(stdout io.Reader, first chan<- string) {
	defer close(c.drained)
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if err == nil {
		first <- strings.TrimSuffix(line, "\n")
	}
	close(first)
	_, _ = io.Copy(io.Discard, r)
}

// waitAddr returns the address in the child's first line, within
// startTimeout.
func waitAddr(ctx context.Context, first <-chan string) (string, error) {
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-first:
		if !ok {
			return "", errors.New("it exited without listening")
		}
		addr, found := strings.CutPrefix(line, listeningPrefix)
		if !found {
			return "", fmt.Errorf("it printed %q instead of its address", line)
		}
		return addr, nil
	case <-timer.C:
		return "", fmt.Errorf("it did not listen within %s", startTimeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// stop closes the child's stdin, which ends it, and waits for it; kill
// (after a failure) ends it at once instead, and a child that fails to end
// within stopTimeout is killed too.
func (c *child) stop(kill bool) error {
	_ = c.stdin.Close()
	if kill {
		_ = c.cmd.Process.Kill()
	} else {
		t := time.AfterFunc(stopTimeout, func() { _ = c.cmd.Process.Kill() })
		defer t.Stop()
	}
	<-c.drained
	err := c.cmd.Wait()
	if kill {
		return nil // killed on purpose: its exit status says nothing
	}
	if err != nil {
		return fmt.Errorf("the server process: %w", err)
	}
	return nil
}
