package storage

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// Nodes of the suite, in three zones. No kubelet runs on them; each
// scenario's driver registers on the nodes it chooses.
var suiteNodes = []harness.NodeSpec{
	{Name: "zone-a-1", Zone: "zone-a"},
	{Name: "zone-a-2", Zone: "zone-a"},
	{Name: "zone-a-3", Zone: "zone-a"},
	{Name: "zone-b-1", Zone: "zone-b"},
	{Name: "zone-c-1", Zone: "zone-c"},
}

var fw *e2e.Framework

// assets is the directory of the control plane's and storage stack's
// binaries.
var assets string

func TestMain(m *testing.M) {
	flag.Parse()
	assets = harness.Assets("storage", "./test/storage/")
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	f, err := e2e.StartWith(ctx, assets, e2e.Options{Storage: true})
	if err == nil {
		for _, n := range suiteNodes {
			if _, err = harness.CreateNode(ctx, f.Client, n); err != nil {
				break
			}
		}
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: storage: %v\n", err)
		if f != nil {
			_ = f.Stop()
		}
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "storage: control plane, kube-controller-manager, volplace and two kube-schedulers up in %v\n",
		time.Since(start).Round(time.Millisecond))
	fw = f
	e2e.UseFramework(f)
	code := m.Run()
	if code != 0 {
		f.KeepLogs()
	}
	if err := f.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "storage: teardown: %v\n", err)
	}
	os.Exit(code)
}
