package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{name: "one", xs: []float64{3}, want: 3},
		{name: "odd, unsorted", xs: []float64{5, 1, 3}, want: 3},
		{name: "even", xs: []float64{4, 1, 2, 3}, want: 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.xs); got != tt.want {
				t.Errorf("median(%v) = %g, want %g", tt.xs, got, tt.want)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	start := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	// Logged slightly out of order, as parallel binding goroutines do.
	bindings := []Binding{{Time: at(1000)}, {Time: at(1500)}, {Time: at(900)}, {Time: at(2900)}}
	var got Result
	got.measure(bindings, start)
	want := Result{Bound: 4, PodsPerSecond: 1.5, Window: 2 * time.Second, Wall: 2900 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measure (-want,+got):\n%s", diff)
	}
}

func TestReport(t *testing.T) {
	o := NewOptions()
	o.Variants = []string{"none", "noop", "volplace"}
	variants := o.variants()
	results := []Result{
		{Variant: "none", Round: 1, Bound: 10, PodsPerSecond: 100},
		{Variant: "noop", Round: 1, Bound: 10, PodsPerSecond: 80},
		{Variant: "volplace", Round: 1, Bound: 10, PodsPerSecond: 70},
		{Variant: "none", Round: 2, Bound: 10, PodsPerSecond: 120},
		{Variant: "noop", Round: 2, Bound: 10, PodsPerSecond: 90},
		{Variant: "volplace", Round: 2, Bound: 10, PodsPerSecond: 85},
	}
	rep := newReport(o, variants, results)
	wantSummaries := []Summary{
		{Variant: "none", Runs: 2, Median: 110, Min: 100, Max: 120},
		{Variant: "noop", Runs: 2, Median: 85, Min: 80, Max: 90},
		{Variant: "volplace", Runs: 2, Median: 77.5, Min: 70, Max: 85},
	}
	if diff := cmp.Diff(wantSummaries, rep.Summaries); diff != "" {
		t.Errorf("summaries (-want,+got):\n%s", diff)
	}
	wantRatios := []Ratio{
		{Of: "noop", To: "none", Value: 85.0 / 110},
		{Of: "volplace", To: "noop", Value: 77.5 / 85},
		{Of: "volplace", To: "none", Value: 77.5 / 110},
	}
	if diff := cmp.Diff(wantRatios, rep.Ratios); diff != "" {
		t.Errorf("ratios (-want,+got):\n%s", diff)
	}

	var md bytes.Buffer
	if err := rep.Write(&md, OutputMarkdown); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| volplace | 77.5 | 70.0–85.0 | 2 |", "| volplace / noop | 0.912 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var js bytes.Buffer
	if err := rep.Write(&js, OutputJSON); err != nil {
		t.Fatal(err)
	}
	// Scripts read these field names.
	var generic struct {
		Summaries []map[string]any `json:"summaries"`
		Ratios    []map[string]any `json:"ratios"`
	}
	if err := json.Unmarshal(js.Bytes(), &generic); err != nil {
		t.Fatalf("decoding the JSON report: %v", err)
	}
	gotFields := []any{generic.Summaries[2]["variant"], generic.Summaries[2]["medianPodsPerSecond"], generic.Ratios[1]["of"], generic.Ratios[1]["to"]}
	if diff := cmp.Diff([]any{"volplace", 77.5, "volplace", "noop"}, gotFields); diff != "" {
		t.Errorf("JSON fields (-want,+got):\n%s", diff)
	}
}
