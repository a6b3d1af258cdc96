package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"testing"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// settings are the suite's flags, given after -args:
//
//	go test ./test/soak/ -args -soak.duration=10s
type settings struct {
	duration  time.Duration
	clients   int
	requests  uint64
	samples   int
	slowConns int
	idle      bool
}

func registerFlags(fs *flag.FlagSet) *settings {
	s := &settings{}
	fs.DurationVar(&s.duration, "soak.duration", 60*time.Second, "How long TestConcurrentLoad sends requests.")
	fs.IntVar(&s.clients, "soak.clients", 16, "Concurrent clients per server in TestConcurrentLoad, and in all in TestMemoryFlat.")
	fs.Uint64Var(&s.requests, "soak.requests", 10000, "Requests TestMemoryFlat sends in all (the issue's figure is 1000000: `make soak`).")
	fs.IntVar(&s.samples, "soak.samples", 20, "Memory samples TestMemoryFlat takes, one after each equal share of the requests.")
	fs.IntVar(&s.slowConns, "soak.slow-conns", 200, "Slow connections per listener in TestSlowHeaders.")
	fs.BoolVar(&s.idle, "soak.idle", false, "Run TestIdleTimeout, which waits IdleTimeout (90 s) for idle connections to be closed.")
	return s
}

// Set by TestMain.
var (
	flags *settings
	env   *Env
	// extenderRequests and webhookRequests are checked requests to each
	// server, in a mix that covers every case.
	extenderRequests, webhookRequests []Request
)

func TestMain(m *testing.M) {
	flags = registerFlags(flag.CommandLine)
	flag.Parse()
	assets := harness.Assets("soak", "./test/soak/")
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	e, err := Start(ctx, assets)
	if err == nil {
		err = loadRequests(ctx, e)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: soak: %v\n", err)
		os.Exit(1)
	}
	// The HTTP servers report refused connections through the log
	// package: into volplace's log rather than the test output.
	log.SetOutput(e.LogWriter())
	fmt.Fprintf(os.Stderr, "soak: control plane and volplace (extender %s, webhooks %s, health %s) up in %v\n",
		e.ExtenderURL, e.WebhookURL, e.HealthURL, time.Since(start).Round(time.Millisecond))
	env = e

	code := m.Run()
	log.SetOutput(os.Stderr)
	if code != 0 {
		e.KeepLogs()
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "soak: teardown: %v\n", err)
	}
	os.Exit(code)
}

// loadRequests asks each case once and checks the answers.
func loadRequests(ctx context.Context, e *Env) error {
	client := e.HTTPClient(1, true)
	var err error
	extenderRequests, err = ExtenderRequests(ctx, client, e.ExtenderURL)
	var err2 error
	webhookRequests, err2 = WebhookRequests(ctx, client, e.WebhookURL)
	return errors.Join(err, err2)
}
