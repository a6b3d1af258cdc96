package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request the load sends, with the check of its answer.
type Request struct {
	// Name identifies the request in error messages.
	Name string
	// URL gets Body as application/json in a POST, or a GET without
	// Body.
	URL  string
	Body []byte
	// Check returns an error when the answer is wrong.
	Check func(status int, body []byte) error
}

// Load sends Requests, in turn, from Clients goroutines sharing Client.
type Load struct {
	Client   *http.Client
	Requests []Request
	Clients  int
}

// Budget says whether a client may send one more request.
type Budget interface{ take() bool }

type deadline time.Time

func (d deadline) take() bool { return time.Now().Before(time.Time(d)) }

// For lets the load run for a duration.
func For(d time.Duration) Budget { return deadline(time.Now().Add(d)) }

type count struct{ left atomic.Int64 }

func (c *count) take() bool { return c.left.Add(-1) >= 0 }

// Count lets the load send n requests.
func Count(n int64) Budget {
	c := &count{}
	c.left.Store(n)
	return c
}

type until <-chan struct{}

func (u until) take() bool {
	select {
	case <-u:
		return false
	default:
		return true
	}
}

// Until lets the load run until done is closed.
func Until(done <-chan struct{}) Budget { return until(done) }

// maxErrors bounds the error messages a Result keeps.
const maxErrors = 10

// Result sums up a run of the load.
type Result struct {
	Requests, Errors uint64
	// FirstErrors are the first errors' messages.
	FirstErrors []string
	Latencies   Latencies
	Elapsed     time.Duration
}

// Rate returns the requests per second.
func (r *Result) Rate() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String sums the result up in one line.
func (r *Result) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f/s), %d errors, latency p50 %v p99 %v max %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate(), r.Errors,
		r.Latencies.Quantile(0.5).Round(time.Microsecond), r.Latencies.Quantile(0.99).Round(time.Microsecond),
		r.Latencies.Max().Round(time.Microsecond))
}

// Run sends requests until the budget is spent or ctx ends, and returns
// once every client has stopped. The i-th request sent overall is
// Requests[i % len(Requests)], so the mix is the same in every run.
func (l *Load) Run(ctx context.Context, budget Budget) *Result {
	var (
		next   atomic.Uint64
		mu     sync.Mutex
		result Result
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range l.Clients {
		wg.Go(func() {
			var own Result
			var buf bytes.Buffer
			for ctx.Err() == nil && budget.take() {
				req := &l.Requests[(next.Add(1)-1)%uint64(len(l.Requests))]
				began := time.Now()
				err := Do(ctx, l.Client, req, &buf)
				own.Latencies.Record(time.Since(began))
				own.Requests++
				if err != nil {
					own.Errors++
					if len(own.FirstErrors) < maxErrors {
						own.FirstErrors = append(own.FirstErrors, fmt.Sprintf("%s: %v", req.Name, err))
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			result.Requests += own.Requests
			result.Errors += own.Errors
			result.Latencies.Merge(&own.Latencies)
			result.FirstErrors = append(result.FirstErrors, own.FirstErrors[:min(len(own.FirstErrors), maxErrors-len(result.FirstErrors))]...)
		})
	}
	wg.Wait()
	result.Elapsed = time.Since(start)
	return &result
}

// Do sends a request and checks the answer, read into buf.
func Do(ctx context.Context, client *http.Client, r *Request, buf *bytes.Buffer) error {
	method, body := http.MethodGet, io.Reader(nil)
	if r.Body != nil {
		method, body = http.MethodPost, bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return err
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return r.Check(resp.StatusCode, buf.Bytes())
}
