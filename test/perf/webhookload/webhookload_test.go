package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRun runs the benchmark briefly at a low rate over a small cluster:
// every answer must be the expected one, and volplace must deny the deletes
// of claims in use, which the no-op baseline never does.
func TestRun(t *testing.T) {
	o := NewOptions()
	o.Rate, o.Duration, o.Warmup, o.Size = 30, 2*time.Second, 300*time.Millisecond, 0.002
	report, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n := report.TotalErrors(); n != 0 {
		t.Errorf("%d errors, want none: %s", n, strings.Join(report.ErrorSamples, "; "))
	}
	perServer := int(o.Rate * o.Duration.Seconds())
	for _, server := range []string{serverVolplace, serverBaseline} {
		if got := report.find(server, kindAll); got.Requests != perServer {
			t.Errorf("%s answered %d measured requests, want %d", server, got.Requests, perServer)
		}
	}
	deletes := report.find(serverVolplace, string(KindDeleteValidating))
	if deletes.Denied == 0 || deletes.Denied >= deletes.Requests {
		t.Errorf("volplace denied %d of %d deletes, want the in-use half denied and the free half allowed", deletes.Denied, deletes.Requests)
	}
	if got := report.find(serverBaseline, kindAll).Denied; got != 0 {
		t.Errorf("the no-op baseline denied %d requests, want none", got)
	}
	for _, res := range report.Results {
		if res.Requests > 0 && (res.Latency.P50 <= 0 || res.Latency.Max < res.Latency.P99 || res.Latency.P99 < res.Service.P50) {
			t.Errorf("%s %s: implausible percentiles: latency %+v, service %+v", res.Server, res.Kind, res.Latency, res.Service)
		}
	}
	var out bytes.Buffer
	if err := report.Write(&out, outputJSON); err != nil {
		t.Fatal(err)
	}
	var decoded Report
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("decoding the JSON report: %v", err)
	}
	if diff := cmp.Diff(report.Results, decoded.Results); diff != "" {
		t.Errorf("JSON report results (-want,+got):\n%s", diff)
	}
}

// TestScheduleIsFair checks that both servers get the same requests in
// the same order, each first half of the time.
func TestScheduleIsFair(t *testing.T) {
	reqs := [][]request{
		{{kind: KindCreateMutating, path: "a"}, {kind: KindCreateMutating, path: "b"}},
		{{kind: KindCreateValidating, path: "c"}},
		{{kind: KindDeleteValidating, path: "d"}, {kind: KindDeleteValidating, path: "e"}},
	}
	o := NewOptions()
	o.Rate, o.Duration, o.Warmup = 10, 3*time.Second, 0
	s := newSchedule(o, 2, reqs)
	if s.total != 60 {
		t.Fatalf("total = %d, want 60", s.total)
	}
	var paths [2][]string
	first := [2]int{}
	for j := 0; j < s.total; j++ {
		target, _, r := s.slot(j)
		paths[target] = append(paths[target], r.path)
		if j%2 == 0 {
			first[target]++
		}
	}
	if diff := cmp.Diff(paths[0], paths[1]); diff != "" {
		t.Errorf("the servers got different requests (-0,+1):\n%s", diff)
	}
	if want := "a c d b c e a c d b"; strings.Join(paths[0][:10], " ") != want {
		t.Errorf("requests = %v, want %s ...", paths[0][:10], want)
	}
	if first[0] != first[1] {
		t.Errorf("server 0 went first %d times, server 1 %d times", first[0], first[1])
	}
	if got, want := s.at(3), 150*time.Millisecond; got != want {
		t.Errorf("request 3 is due at %s, want %s", got, want)
	}
}
