package soak

import (
	"sync"
	"testing"
)

// TestConcurrentLoad sends, for -soak.duration, from -soak.clients
// clients per server at once, the extender's filter and prioritize
// requests (HTTP/1.1, as kube-scheduler) and the webhooks' reviews
// (HTTP/2 over TLS, as kube-apiserver), and checks every answer: the same
// request always gets the same answer, and no request fails.
func TestConcurrentLoad(t *testing.T) {
	t.Parallel()
	loads := []struct {
		name string
		load *Load
	}{
		{"extender", &Load{Client: env.HTTPClient(flags.clients, false), Requests: extenderRequests, Clients: flags.clients}},
		{"webhook", &Load{Client: env.HTTPClient(flags.clients, true), Requests: webhookRequests, Clients: flags.clients}},
	}
	start := TakeSample(0)
	results := make([]*Result, len(loads))
	var wg sync.WaitGroup
	budget := For(flags.duration)
	for i, l := range loads {
		wg.Go(func() { results[i] = l.load.Run(t.Context(), budget) })
	}
	wg.Wait()
	var total uint64
	for i, l := range loads {
		r := results[i]
		total += r.Requests
		t.Logf("%s: %d clients: %v", l.name, l.load.Clients, r)
		if r.Errors > 0 {
			t.Errorf("%s: %d of %d requests failed; the first:\n%s", l.name, r.Errors, r.Requests, join(r.FirstErrors))
		}
		if r.Requests == 0 {
			t.Errorf("%s: no request was sent", l.name)
		}
	}
	t.Logf("memory before: %v", start)
	t.Logf("memory after:  %v", TakeSample(total))
}
