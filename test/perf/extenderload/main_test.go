package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
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
	testRun(t, serverInline, handlerVolplace, "server: inline, handler volplace;")
}

// TestRunProcess does the same with the server in a child process: the
// server-side counts, which come from the child's histogram, equal the
// pods sent only if they were read from the process that answered.
func TestRunProcess(t *testing.T) {
	testRun(t, serverProcess, handlerVolplace, "server: separate process, handler volplace;")
}

// TestRunNoop does the same with the no-op handler, which passes every
// candidate, in a child process: its histogram too must be read from the
// process that answered.
func TestRunNoop(t *testing.T) {
	testRun(t, serverProcess, handlerNoop, "server: separate process, handler noop;")
}

func testRun(t *testing.T, server, handler, header string) {
	t.Helper()
	o := defaultOptions()
	o.Server, o.Handler = server, handler
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
	if r.Pods != 40 || r.Handler != handler {
		t.Errorf("pods %d, handler %q; want 40, %q", r.Pods, r.Handler, handler)
	}
	if handler == handlerNoop && r.Passed != r.Candidates {
		t.Errorf("passed %d of %d; want all: the no-op handler passes every node", r.Passed, r.Candidates)
	}
	if handler == handlerVolplace && (r.Passed == 0 || r.Passed >= r.Candidates) {
		t.Errorf("passed %d of %d; want some, not all: the pod's bound claim is zonal", r.Passed, r.Candidates)
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
		"unknown handler":       func(o *Options) { o.Handler = "echo" },
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

// TestNoopBuckets checks that the no-op handler's histogram has volplace's
// buckets: each handler answers one request and the bounds of their
// histograms are compared.
func TestNoopBuckets(t *testing.T) {
	o := defaultOptions()
	o.Cluster = st.ClusterSize{Nodes: 10, Zones: 2, Pods: 10, Claims: 5}
	names := o.Cluster.CandidateNames(10)
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: st.PendingPod(1), NodeNames: &names})
	if err != nil {
		t.Fatal(err)
	}
	bounds := map[string][]float64{}
	for _, handler := range []string{handlerVolplace, handlerNoop} {
		o.Handler = handler
		h, hist, err := o.handler()
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, extender.FilterPath, bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", handler, rec.Code, rec.Body)
		}
		got, err := hist.read("filter")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range got.GetBucket() {
			bounds[handler] = append(bounds[handler], b.GetUpperBound())
		}
	}
	if len(bounds[handlerVolplace]) == 0 || !slices.Equal(bounds[handlerNoop], bounds[handlerVolplace]) {
		t.Errorf("no-op buckets %v, volplace's %v; want the same, not none", bounds[handlerNoop], bounds[handlerVolplace])
	}
}

// TestNoopAnswers checks the no-op handler's answers: every node passes
// filter and gets score 0 from prioritize; a request without NodeNames is
// refused.
func TestNoopAnswers(t *testing.T) {
	h, _ := newNoop()
	names := []string{"a", "b", "c"}
	post := func(path string, args extenderv1.ExtenderArgs, out any) int {
		t.Helper()
		body, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		if rec.Code == http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code
	}
	args := extenderv1.ExtenderArgs{Pod: st.PendingPod(1), NodeNames: &names}
	var filtered extenderv1.ExtenderFilterResult
	if code := post(extender.FilterPath, args, &filtered); code != http.StatusOK ||
		filtered.NodeNames == nil || !slices.Equal(*filtered.NodeNames, names) || len(filtered.FailedNodes) != 0 || filtered.Error != "" {
		t.Errorf("filter: HTTP %d, %+v; want 200 and every node passed", code, filtered)
	}
	var scores extenderv1.HostPriorityList
	want := extenderv1.HostPriorityList{{Host: "a"}, {Host: "b"}, {Host: "c"}}
	if code := post(extender.PrioritizePath, args, &scores); code != http.StatusOK || !slices.Equal(scores, want) {
		t.Errorf("prioritize: HTTP %d, %+v; want 200 and %+v", code, scores, want)
	}
	if code := post(extender.FilterPath, extenderv1.ExtenderArgs{Pod: st.PendingPod(1)}, nil); code != http.StatusBadRequest {
		t.Errorf("filter without NodeNames: HTTP %d, want 400", code)
	}
}
