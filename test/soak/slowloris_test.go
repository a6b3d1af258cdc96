package soak

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/webhook"
)

// Limits of volplace's HTTP servers.
const (
	readHeaderTimeout = app.ReadHeaderTimeout
	readTimeout       = app.ReadTimeout
	maxHeaderBytes    = app.MaxHeaderBytes
)

// Tolerances of the measured timeouts, which count from the start of the
// client's dial: the server's timer cannot start earlier, but it starts
// after the dial (and TLS handshake), and under load and the race detector
// it fires late.
const (
	early = 10 * time.Millisecond
	late  = 3 * time.Second
	// p99Bound and maxBound bound the answers normal clients get while
	// slow clients hold connections. Had the slow clients exhausted the
	// server, normal clients would wait for them to be cut, at least
	// ReadHeaderTimeout.
	p99Bound = 500 * time.Millisecond
	maxBound = readHeaderTimeout / 2
)

// normalRequests are a normal client's requests to every server, health
// included.
func normalRequests() []Request {
	ok := func(status int, body []byte) error {
		if status != http.StatusOK || string(body) != "ok" {
			return fmt.Errorf("HTTP %d: %s", status, body)
		}
		return nil
	}
	reqs := []Request{
		{Name: "healthz", URL: env.HealthURL + "/healthz", Check: ok},
		{Name: "readyz", URL: env.HealthURL + "/readyz", Check: ok},
	}
	for i := range max(len(extenderRequests), len(webhookRequests)) {
		reqs = append(reqs, extenderRequests[i%len(extenderRequests)], webhookRequests[i%len(webhookRequests)])
	}
	return reqs
}

// TestSlowHeaders opens -soak.slow-conns connections to each listener that
// send a request's headers (or, on the webhooks' TLS port, half of them a
// TLS handshake) one byte a second. The server must end each after
// ReadHeaderTimeout, while normal clients, each request on a new
// connection, keep getting answers within p99Bound and maxBound.
func TestSlowHeaders(t *testing.T) {
	n := flags.slowConns
	targets := []struct {
		name    string
		dial    Dialer
		payload []byte
		conns   int
	}{
		{"extender", TCP(env.Volplace.ExtenderAddr()), UnfinishedHeaders(http.MethodPost, extender.FilterPath), n},
		{"health", TCP(env.Volplace.HealthAddr()), UnfinishedHeaders(http.MethodGet, "/healthz"), n},
		{"webhook TLS handshake", TCP(env.Volplace.WebhookAddr()), UnfinishedHandshake(), n / 2},
		{"webhook headers", TLS(env.Volplace.WebhookAddr(), env.WebhookRoots), UnfinishedHeaders(http.MethodPost, webhook.ValidatePVCPath), n - n/2},
	}

	normalClient := env.HTTPClient(0, false)
	normalClient.Transport.(*http.Transport).DisableKeepAlives = true
	normal := &Load{Client: normalClient, Requests: normalRequests(), Clients: 4}
	stop, normalDone := make(chan struct{}), make(chan *Result)
	go func() { normalDone <- normal.Run(t.Context(), Until(stop)) }()

	endings := make([][]Ending, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		endings[i] = make([]Ending, target.conns)
		for j := range target.conns {
			wg.Go(func() {
				endings[i][j] = Trickle{Payload: target.payload, Interval: time.Second, Limit: 3 * readHeaderTimeout}.Run(t.Context(), target.dial)
			})
		}
	}
	wg.Wait()
	close(stop)
	result := <-normalDone

	for i, target := range targets {
		// Cut within the request line or headers, the server answers 400
		// and closes; within the TLS handshake, it just closes.
		checkEndings(t, target.name, endings[i], readHeaderTimeout, func(e Ending) error {
			if !e.Closed && !strings.HasPrefix(e.Answer, "HTTP/1.1 400 Bad Request\r\n") {
				return fmt.Errorf("answered %q", e.Answer)
			}
			return nil
		})
	}
	t.Logf("normal clients, a new connection per request: %v", result)
	switch {
	case result.Errors > 0:
		t.Errorf("%d of %d normal requests failed; the first:\n%s", result.Errors, result.Requests, join(result.FirstErrors))
	case result.Requests == 0:
		t.Error("no normal request was sent")
	case result.Latencies.Quantile(0.99) > p99Bound || result.Latencies.Max() > maxBound:
		t.Errorf("normal requests took up to %v, 99 %% of them up to %v: want at most %v and %v",
			result.Latencies.Max(), result.Latencies.Quantile(0.99), maxBound, p99Bound)
	}
}

// checkEndings checks that the server ended every slow connection timeout
// after it was ready (within early and late) in the expected way.
func checkEndings(t *testing.T, name string, endings []Ending, timeout time.Duration, how func(Ending) error) {
	t.Helper()
	var after []time.Duration
	var errs []string
	for _, e := range endings {
		err := e.Err
		switch {
		case err != nil:
		case e.After < timeout-early || e.After > timeout+late:
			err = fmt.Errorf("ended after %v, want %v (-%v, +%v)", e.After, timeout, early, late)
		default:
			err = how(e)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		after = append(after, e.After)
	}
	if len(errs) > 0 {
		t.Errorf("%s: %d of %d slow connections did not end as expected; the first:\n%s", name, len(errs), len(endings), join(errs[:min(len(errs), maxErrors)]))
	}
	if len(after) > 0 {
		slices.Sort(after)
		t.Logf("%s: %d slow connections ended after min %v, median %v, max %v", name, len(after),
			after[0].Round(time.Millisecond), after[len(after)/2].Round(time.Millisecond), after[len(after)-1].Round(time.Millisecond))
	}
}

// TestSlowBody sends complete headers, then the body one byte a second,
// to the extender and the webhooks: the server must end the exchange
// after ReadTimeout, with an error answer or by closing the connection.
func TestSlowBody(t *testing.T) {
	t.Parallel()
	const length = 4096
	body := bytes.Repeat([]byte(" "), length)
	targets := []struct {
		name string
		dial Dialer
		path string
		// failed tells an error answer from a success.
		failed func(answer string) bool
	}{
		{"extender", TCP(env.Volplace.ExtenderAddr()), extender.FilterPath, func(a string) bool {
			return strings.HasPrefix(a, "HTTP/1.1 4") || strings.HasPrefix(a, "HTTP/1.1 5")
		}},
		{"webhook", TLS(env.Volplace.WebhookAddr(), env.WebhookRoots), webhook.ValidatePVCPath, func(a string) bool {
			return strings.Contains(a, `"allowed":false`)
		}},
	}
	var wg sync.WaitGroup
	for _, target := range targets {
		wg.Go(func() {
			ending := Trickle{Prefix: Headers(http.MethodPost, target.path, length), Payload: body, Interval: time.Second,
				Limit: readTimeout + 3*late}.Run(t.Context(), target.dial)
			checkEndings(t, target.name, []Ending{ending}, readTimeout, func(e Ending) error {
				if !e.Closed && !target.failed(e.Answer) {
					return fmt.Errorf("answered %q", e.Answer)
				}
				if !e.Closed {
					t.Logf("%s: answer to the slow body: %q", target.name, firstLine(e.Answer))
				}
				return nil
			})
		})
	}
	wg.Wait()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// TestOversizedHeaders sends each listener headers just under and well
// over MaxHeaderBytes over HTTP/1.1: the first must be served, the second
// refused with 431.
func TestOversizedHeaders(t *testing.T) {
	client := env.HTTPClient(1, false)
	for _, target := range []struct{ name, url string }{
		{"extender", env.ExtenderURL + extender.FilterPath},
		{"health", env.HealthURL + "/healthz"},
		{"webhook", env.WebhookURL + webhook.ValidatePVCPath},
	} {
		for _, tt := range []struct {
			size     int
			wantCode bool
		}{{size: maxHeaderBytes - 4<<10, wantCode: false}, {size: 2 * maxHeaderBytes, wantCode: true}} {
			t.Run(fmt.Sprintf("%s %d KiB", target.name, tt.size>>10), func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target.url, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Big", strings.Repeat("a", tt.size))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				if got := resp.StatusCode == http.StatusRequestHeaderFieldsTooLarge; got != tt.wantCode {
					t.Errorf("HTTP %d; want 431: %v", resp.StatusCode, tt.wantCode)
				}
			})
		}
	}
}
