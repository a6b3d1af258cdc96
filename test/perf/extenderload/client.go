package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/test/internal/harness"
)

// verbs are the metric labels of the extender's verbs, in the order a pod
// calls them.
var verbs = []string{"filter", "prioritize"}

type client struct {
	base string
	http *http.Client
}

// post sends one request and decodes the answer into out.
func (c *client) post(ctx context.Context, path string, body []byte, out any) error {
	return harness.PostJSON(ctx, c.http, c.base+path, body, out)
}

// call sends a request without a body to one of the server's debug
// endpoints and returns the answer, which must have status 200.
func (c *client) call(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	return data, nil
}

// histogram reads the server's histogram of a verb, as histogramSource.read
// does in the server's process.
func (c *client) histogram(ctx context.Context, verb string) (*dto.Histogram, error) {
	data, err := c.call(ctx, http.MethodGet, histogramPath+"?verb="+url.QueryEscape(verb))
	if err != nil {
		return nil, err
	}
	h := &dto.Histogram{}
	if err := json.Unmarshal(data, h); err != nil {
		return nil, fmt.Errorf("decoding the server's %s histogram: %w", verb, err)
	}
	return h, nil
}

// record collects a measured part's durations and errors.
type record struct {
	mu       sync.Mutex
	pods     int
	passed   int
	errors   map[string]int
	latency  map[string][]time.Duration
	service  map[string][]time.Duration
	firstErr error
}

func (r *record) add(verb string, due, sent time.Time, err error) {
	end := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors[verb]++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.latency[verb] = append(r.latency[verb], end.Sub(due))
	r.service[verb] = append(r.service[verb], end.Sub(sent))
}

// send runs the open-loop load for d: pod i is due at start+i/Rate and its
// requests go out at that time, whatever the earlier ones are doing.
func (o *Options) send(ctx context.Context, c *client, filterBody []byte, d time.Duration) (*record, error) {
	rec := &record{errors: map[string]int{}, latency: map[string][]time.Duration{}, service: map[string][]time.Duration{}}
	var args extenderv1.ExtenderArgs
	if err := json.Unmarshal(filterBody, &args); err != nil {
		return nil, err
	}
	pods := int(o.Rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / o.Rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range pods {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
		wg.Go(func() { o.pod(ctx, c, rec, args, filterBody, due) })
	}
	wg.Wait()
	rec.pods = pods
	if rec.firstErr != nil {
		return rec, fmt.Errorf("%d request(s) failed, the first: %w", rec.errors["filter"]+rec.errors["prioritize"], rec.firstErr)
	}
	return rec, nil
}

// pod sends what kube-scheduler sends for one pod: filter on the
// candidates, then prioritize on those that passed.
func (o *Options) pod(ctx context.Context, c *client, rec *record, args extenderv1.ExtenderArgs, body []byte, due time.Time) {
	// Only the passing names and the error are decoded: the failed nodes'
	// maps would cost this process, which shares the CPUs with the server,
	// more than the server spends answering.
	var filtered struct {
		NodeNames *[]string
		Error     string
	}
	sent := time.Now()
	err := c.post(ctx, extender.FilterPath, body, &filtered)
	if err == nil && filtered.Error != "" {
		err = fmt.Errorf("filter: %s", filtered.Error)
	}
	if err == nil && filtered.NodeNames == nil {
		err = fmt.Errorf("filter: no NodeNames in the answer")
	}
	rec.add("filter", due, sent, err)
	if err != nil || len(*filtered.NodeNames) == 0 {
		return
	}
	rec.mu.Lock()
	rec.passed = len(*filtered.NodeNames)
	rec.mu.Unlock()
	args.NodeNames = filtered.NodeNames
	next, err := json.Marshal(args)
	if err != nil {
		rec.add("prioritize", due, sent, err)
		return
	}
	var scores extenderv1.HostPriorityList
	due = time.Now() // prioritize is due when filter returns
	sent = due
	err = c.post(ctx, extender.PrioritizePath, next, &scores)
	if err == nil && len(scores) != len(*filtered.NodeNames) {
		err = fmt.Errorf("prioritize: %d scores for %d nodes", len(scores), len(*filtered.NodeNames))
	}
	rec.add("prioritize", due, sent, err)
}
