package soak

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/webhook"
)

// idleTimeout is IdleTimeout of volplace's HTTP servers.
const idleTimeout = app.IdleTimeout

// TestIdleTimeout sends one request on a connection to each listener and
// leaves it idle: the server must close it after IdleTimeout. It waits
// that long, so it runs only with -soak.idle (`make soak`).
func TestIdleTimeout(t *testing.T) {
	if !flags.idle {
		t.Skipf("waits IdleTimeout, %v: run with -args -soak.idle (make soak does)", idleTimeout)
	}
	t.Parallel()
	var wg sync.WaitGroup
	for _, target := range []struct {
		name, path string
		dial       Dialer
	}{
		{"extender", extender.FilterPath, TCP(env.Volplace.ExtenderAddr())},
		{"health", "/healthz", TCP(env.Volplace.HealthAddr())},
		{"webhook", webhook.ValidatePVCPath, TLS(env.Volplace.WebhookAddr(), env.WebhookRoots)},
	} {
		wg.Go(func() {
			request := []byte(http.MethodGet + " " + target.path + " HTTP/1.1\r\nHost: soak\r\n\r\n")
			after, err := IdleClose(t.Context(), target.dial, request, idleTimeout+3*late)
			switch {
			case err != nil:
				t.Errorf("%s: %v", target.name, err)
			case after < idleTimeout || after > idleTimeout+late:
				t.Errorf("%s: idle connection closed %v after the request, want %v (+%v)", target.name, after, idleTimeout, late)
			default:
				t.Logf("%s: idle connection closed %v after the request", target.name, after.Round(time.Millisecond))
			}
		})
	}
	wg.Wait()
}
