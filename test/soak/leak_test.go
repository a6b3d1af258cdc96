package soak

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestMemoryFlat sends -soak.requests requests in all, alternating between
// the extender and the webhooks from -soak.clients clients, and samples
// the heap and the goroutines -soak.samples times, between rounds of
// equal size: both must stay flat (DefaultFlatness).
func TestMemoryFlat(t *testing.T) {
	var mix []Request
	for i := range max(len(extenderRequests), len(webhookRequests)) {
		if i < len(extenderRequests) {
			mix = append(mix, extenderRequests[i])
		}
		if i < len(webhookRequests) {
			mix = append(mix, webhookRequests[i])
		}
	}
	load := &Load{Client: env.HTTPClient(flags.clients, true), Requests: mix, Clients: flags.clients}
	// Open the connections the clients may hold before measuring: with
	// the mix, the clients' requests to one server coincide more and more
	// as the run goes on, each time adding a connection (and its three
	// goroutines) to that server's pool until it holds one per client,
	// which would read as a goroutine leak.
	for _, reqs := range [][]Request{extenderRequests, webhookRequests} {
		prime := &Load{Client: load.Client, Requests: reqs, Clients: flags.clients}
		if r := prime.Run(t.Context(), Count(int64(8*flags.clients))); r.Errors > 0 {
			t.Fatalf("%d of %d requests opening the connections failed; the first:\n%s", r.Errors, r.Requests, join(r.FirstErrors))
		}
	}
	samples, result := rounds(t.Context(), load, flags.requests, flags.samples)
	t.Logf("%d clients: %v", load.Clients, result)
	for _, s := range samples {
		t.Log(s)
	}
	if result.Errors > 0 {
		t.Fatalf("%d of %d requests failed; the first:\n%s", result.Errors, result.Requests, join(result.FirstErrors))
	}
	if err := DefaultFlatness().Check(samples); err != nil {
		t.Fatal(err)
	}
}

// TestLeakDetector runs TestMemoryFlat's measurement against a server in
// this process that keeps 1 KiB of each request: DefaultFlatness must
// catch the leak.
func TestLeakDetector(t *testing.T) {
	const requests, retain = 20000, 1 << 10
	var mu sync.Mutex
	var kept [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		kept = append(kept, make([]byte, retain))
		mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	load := &Load{
		Client:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: flags.clients}},
		Requests: []Request{{Name: "leaky", URL: srv.URL, Body: []byte("{}"), Check: func(int, []byte) error { return nil }}},
		Clients:  flags.clients,
	}
	samples, result := rounds(t.Context(), load, requests, 20)
	if result.Errors > 0 {
		t.Fatalf("%d requests failed: %s", result.Errors, join(result.FirstErrors))
	}
	err := DefaultFlatness().Check(samples)
	t.Logf("%v; last sample %v; Check: %v", result, samples[len(samples)-1], err)
	if err == nil {
		t.Error("Check() found no leak")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kept) != requests {
		t.Errorf("the server kept %d buffers, want %d", len(kept), requests)
	}
}

// rounds sends total requests in n rounds of equal size and samples memory
// before the first and after each.
func rounds(ctx context.Context, load *Load, total uint64, n int) ([]MemSample, *Result) {
	all := &Result{}
	samples := []MemSample{TakeSample(0)}
	for i := range uint64(n) {
		// Round i ends at request total*(i+1)/n.
		size := total*(i+1)/uint64(n) - total*i/uint64(n)
		r := load.Run(ctx, Count(int64(size)))
		all.Requests += r.Requests
		all.Errors += r.Errors
		all.Elapsed += r.Elapsed
		all.Latencies.Merge(&r.Latencies)
		all.FirstErrors = append(all.FirstErrors, r.FirstErrors[:min(len(r.FirstErrors), maxErrors-len(all.FirstErrors))]...)
		samples = append(samples, TakeSample(all.Requests))
	}
	return samples, all
}
