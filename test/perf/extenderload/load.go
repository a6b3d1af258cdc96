package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

// Result is one phase: a candidate count under load.
type Result struct {
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
	// Server comes from volplace's histogram; Client from each request:
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

// Run builds the cache, serves the extender on loopback and runs one phase
// per candidate count.
func (o *Options) Run(ctx context.Context) ([]Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	snap, err := topology.NewStaticSnapshot(st.LargeCluster(o.Cluster)...)
	if err != nil {
		return nil, fmt.Errorf("building the cache: %w", err)
	}
	handler, err := extender.NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()),
		extender.Options{MaxBodyBytes: extender.DefaultMaxBodyBytes, Parallelism: o.Parallelism})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer func() { _ = srv.Close() }()
	c := &client{
		base: "http://" + l.Addr().String(),
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
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
		if before[verb], err = serverHistogram(verb); err != nil {
			return Result{}, err
		}
	}
	stopProfile, err := o.startProfile(candidates)
	if err != nil {
		return Result{}, err
	}
	rec, err := o.send(ctx, c, body, o.Duration)
	stopProfile()
	if err != nil {
		return Result{}, err
	}
	res := Result{Candidates: candidates, Pods: rec.pods, Passed: rec.passed}
	for _, verb := range verbs {
		after, err := serverHistogram(verb)
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

// startProfile starts the CPU profile of a phase, if asked for, into
// CPUProfile with the candidate count appended when there are several
// phases.
func (o *Options) startProfile(candidates int) (stop func(), err error) {
	if o.CPUProfile == "" {
		return func() {}, nil
	}
	path := o.CPUProfile
	if len(o.Candidates) > 1 {
		path = fmt.Sprintf("%s.%d", path, candidates)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
