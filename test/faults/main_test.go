package faults

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/test/internal/harness"
)

// envKeepLogs, set to 1, keeps the temporary directory with the logs and
// configurations of a passing run too (a failing run keeps it).
const envKeepLogs = "VOLPLACE_FAULTS_KEEP_LOGS"

// su is the suite TestMain started.
var su *suite

func TestMain(m *testing.M) {
	if os.Getenv(envRole) == roleVolplace {
		os.Exit(app.Run(app.NewCommand()))
	}
	flag.Parse()
	assets := harness.Assets("faults", "./test/faults/")
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	s, err := startSuite(ctx, assets)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: faults: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "faults: etcd, kube-apiserver and kube-schedulers up in %v (volplace's addresses: extender %s, webhooks %s, health %s)\n",
		time.Since(start).Round(time.Millisecond), s.addrs.extender, s.addrs.webhook, s.addrs.health)
	su = s
	code := m.Run()
	if code != 0 || os.Getenv(envKeepLogs) == "1" {
		su.keep.Store(true)
	}
	if err := su.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: teardown: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
