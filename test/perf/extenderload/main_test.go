package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	st "github.com/volplace/volplace/topology/testing"
)

// TestMain lets the test binary be the server process of TestRunProcess:
// the tool runs its own executable again as the server, which under go test
// is this binary, so the parent marks the server's environment and this
// binary then runs the tool's main, with the server's flags, instead of the
// tests.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRun runs the tool briefly with the server in the test's process and
// checks that every request was answered and that the server-side and
// client-side counts agree.
func TestRun(t *testing.T) {
	testRun(t, serverInline, "server: inline;")
}

// TestRunProcess does the same with the server in a child process: the
// server-side counts, which come from the child's histogram, equal the
// pods sent only if they were read from the process that answered.
func TestRunProcess(t *testing.T) {
	testRun(t, serverProcess, "server: separate process;")
}

func testRun(t *testing.T, server, header string) {
	t.Helper()
	o := defaultOptions()
	o.Server = server
	o.Cluster = st.ClusterSize{Nodes: 200, Zones: 10, Pods: 400, Claims: 200}
	o.Candidates = []int{200}
	o.Rate, o.Duration, o.Warmup = 40, time.Second, 200*time.Millisecond
	results, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Pods != 40 || r.Passed == 0 || r.Passed >= r.Candidates {
		t.Errorf("pods %d (want 40), passed %d of %d (want some, not all: the pod's bound claim is zonal)", r.Pods, r.Passed, r.Candidates)
	}
	for _, v := range r.Verbs {
		if v.Errors != 0 || v.Latency.Count != r.Pods || int(v.Server.Count) != r.Pods {
			t.Errorf("%s: %d errors, %d answers measured by the client, %d by the server; want 0, %d, %d",
				v.Verb, v.Errors, v.Latency.Count, v.Server.Count, r.Pods, r.Pods)
		}
		if v.Server.P50 <= 0 || v.Server.P99 < v.Server.P50 || v.Latency.Max < v.Latency.P99 {
			t.Errorf("%s: implausible percentiles %+v %+v", v.Verb, v.Server, v.Latency)
		}
	}
	var out bytes.Buffer
	if err := writeReport(&out, o, results); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), header) || !strings.Contains(out.String(), "prioritize") {
		t.Errorf("report lacks the header %q or the prioritize row:\n%s", header, out.String())
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Options){
		"no candidates":         func(o *Options) { o.Candidates = nil },
		"more than the cluster": func(o *Options) { o.Candidates = []int{o.Cluster.Nodes + 1} },
		"four claims":           func(o *Options) { o.Claims = 4 },
		"zero rate":             func(o *Options) { o.Rate = 0 },
		"unknown output":        func(o *Options) { o.Output = "yaml" },
		"unknown server":        func(o *Options) { o.Server = "remote" },
	} {
		t.Run(name, func(t *testing.T) {
			o := defaultOptions()
			mutate(o)
			if err := o.Validate(); err == nil {
				t.Error("Validate accepted the options")
			}
		})
	}
	if err := defaultOptions().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
