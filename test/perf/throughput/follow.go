package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// followInterval is how often the scheduler's log is read: it only sets
// when the wait notices the last binding, not the measured times.
const followInterval = 250 * time.Millisecond

// errExited reports that the followed process ended first.
var errExited = errors.New("the process ended")

// followBindings reads the log at path into r until it holds want
// bindings. It stops early when exited is closed or ctx ends.
func followBindings(ctx context.Context, path string, r *bindingReader, want int, exited <-chan struct{}) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening the scheduler's log: %w", err)
	}
	defer func() { _ = f.Close() }()
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		if _, err := io.Copy(r, f); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if len(r.Bindings()) >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d pods bound: %w", len(r.Bindings()), want, context.Cause(ctx))
		case <-exited:
			if _, err := io.Copy(r, f); err == nil && len(r.Bindings()) >= want {
				return nil
			}
			return fmt.Errorf("%d of %d pods bound: %w", len(r.Bindings()), want, errExited)
		case <-tick.C:
		}
	}
}
