package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	st "github.com/volplace/volplace/topology/testing"
)

// Result is one phase: a candidate count under load.
type Result struct {
	// Handler is Options.Handler: volplace or noop.
	Handler    string
	Candidates int
	Pods       int
	// Passed is how many candidates the pod passes filter on.
	Passed int
	Verbs  []VerbResult
}

// VerbResult holds one verb's figures in a phase.
type VerbResult struct {
	Verb   string
	Errors int
	// Server comes from the server's histogram, volplace's or the no-op
	// handler's; Client from each request:
	// Latency from the time the request was due, Service from the time it
	// was sent.
	Server           serverFigures
	Latency, Service clientFigures
}

// clientFigures are exact percentiles of measured durations.
type clientFigures struct {
	Count         int
	P50, P99, Max time.Duration
}

func figuresOfDurations(d []time.Duration) clientFigures {
	if len(d) == 0 {
		return clientFigures{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return clientFigures{Count: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

// Run starts the extender where Server says and runs one phase per
// candidate count against it.
func (o *Options) Run(ctx context.Context) ([]Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	addr, stop, err := o.startServer(ctx)
	if err != nil {
		return nil, err
	}
	c := &client{
		base: "http://" + addr,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
	results, err := o.phases(ctx, c)
	return results, errors.Join(err, stop(err != nil))
}

// startServer serves the extender (volplace's over the cache, which it
// builds, or the no-op one) on loopback, in a
// child process or in this one, and returns its address and a function
// that stops it, at once when the run failed.
func (o *Options) startServer(ctx context.Context) (string, func(failed bool) error, error) {
	if o.Server == serverInline {
		srv, addr, err := o.listen()
		if err != nil {
			return "", nil, err
		}
		stop := func(bool) error {
			_ = srv.Close()
			return nil
		}
		return addr, stop, nil
	}
	c, err := o.startChild(ctx)
	if err != nil {
		return "", nil, err
	}
	return c.addr, c.stop, nil
}

// phases runs one phase per candidate count.
func (o *Options) phases(ctx context.Context, c *client) ([]Result, error) {
	var results []Result
	for _, n := range o.Candidates {
		r, err := o.phase(ctx, c, n)
		if err != nil {
			return results, fmt.Errorf("%d candidates: %w", n, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// phase sends Rate pods per second for Warmup, then for Duration, and
// returns the figures of the second part.
func (o *Options) phase(ctx context.Context, c *client, candidates int) (Result, error) {
	names := o.Cluster.CandidateNames(candidates)
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: st.PendingPod(o.Claims), NodeNames: &names})
	if err != nil {
		return Result{}, err
	}
	if o.Warmup > 0 {
		if _, err := o.send(ctx, c, body, o.Warmup); err != nil {
			return Result{}, err
		}
	}
	before := map[string]*dto.Histogram{}
	for _, verb := range verbs {
		if before[verb], err = c.histogram(ctx, verb); err != nil {
			return Result{}, err
		}
	}
	stopProfile, err := o.startProfile(ctx, c, candidates)
	if err != nil {
		return Result{}, err
	}
	rec, err := o.send(ctx, c, body, o.Duration)
	if err := errors.Join(err, stopProfile()); err != nil {
		return Result{}, err
	}
	res := Result{Handler: o.Handler, Candidates: candidates, Pods: rec.pods, Passed: rec.passed}
	for _, verb := range verbs {
		after, err := c.histogram(ctx, verb)
		if err != nil {
			return Result{}, err
		}
		res.Verbs = append(res.Verbs, VerbResult{
			Verb:    verb,
			Errors:  rec.errors[verb],
			Server:  figuresOf(histogramDelta(before[verb], after)),
			Latency: figuresOfDurations(rec.latency[verb]),
			Service: figuresOfDurations(rec.service[verb]),
		})
	}
	return res, nil
}

// startProfile starts the server's CPU profile of a phase, if asked for;
// stop writes it to CPUProfile, with the candidate count appended when
// there are several phases. The file is created first, so that a bad path
// fails before the phase rather than after.
func (o *Options) startProfile(ctx context.Context, c *client, candidates int) (stop func() error, err error) {
	if o.CPUProfile == "" {
		return func() error { return nil }, nil
	}
	path := o.CPUProfile
	if len(o.Candidates) > 1 {
		path = fmt.Sprintf("%s.%d", path, candidates)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if _, err := c.call(ctx, http.MethodPost, profileStartPath); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() error {
		data, err := c.call(ctx, http.MethodPost, profileStopPath)
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("stopping the CPU profile: %w", err)
		}
		_, err = f.Write(data)
		return errors.Join(err, f.Close())
	}, nil
}
