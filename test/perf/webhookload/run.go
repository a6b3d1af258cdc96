package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Names of the servers in the report.
const (
	serverVolplace = "volplace"
	serverBaseline = "noop-baseline"
)

// Run builds the cluster, starts volplace's webhooks and the no-op
// baseline over TLS, sends the load and summarizes it.
func Run(ctx context.Context, o *Options) (report *Report, err error) {
	c, err := newCluster(scaledSize(o.Size))
	if err != nil {
		return nil, err
	}
	requests, err := newRequests(c)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "webhookload-")
	if err != nil {
		return nil, fmt.Errorf("creating the certificate directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	pool, err := writeCerts(dir)
	if err != nil {
		return nil, fmt.Errorf("writing certificates: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	volplace, err := serve(ctx, serverVolplace, volplaceHandler(c), dir, pool, o.Timeout)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, volplace.stop(ctx)) }()
	volplace.expect = func(r request) outcome { return r.want }
	baseline, err := serve(ctx, serverBaseline, noopHandler(), dir, pool, o.Timeout)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, baseline.stop(ctx)) }()
	baseline.expect = func(request) outcome { return allowed }

	targets := []*target{volplace, baseline}
	samples := newSchedule(o, len(targets), requests).run(ctx, targets)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return summarize(o, c, targets, samples), nil
}
