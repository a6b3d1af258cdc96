package main

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBinding(t *testing.T) {
	ref := time.Date(2026, time.November, 22, 4, 6, 0, 0, time.UTC)
	tests := []struct {
		name    string
		line    string
		ref     time.Time
		want    Binding
		wantErr errKind
	}{
		{
			name:    "binding",
			line:    `I1122 04:06:02.307386   31510 schedule_one.go:481] "Successfully bound pod to node" pod="throughput/pod-00000" node="node-0010" evaluatedNodes=20 feasibleNodes=2`,
			ref:     ref,
			wantErr: noError,
			want:    Binding{Time: time.Date(2026, time.November, 22, 4, 6, 2, 307386000, time.UTC), Pod: "throughput/pod-00000", Node: "node-0010"},
		},
		{
			name:    "escaped quote in a value",
			line:    `I1122 04:06:02.000001   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/a\"b" node="n"`,
			ref:     ref,
			wantErr: noError,
			want:    Binding{Time: time.Date(2026, time.November, 22, 4, 6, 2, 1000, time.UTC), Pod: `ns/a"b`, Node: "n"},
		},
		{
			name:    "run across New Year",
			line:    `I0101 00:00:01.500000   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/p" node="n"`,
			ref:     time.Date(2026, time.December, 31, 23, 59, 59, 0, time.UTC),
			wantErr: noError,
			want:    Binding{Time: time.Date(2027, time.January, 1, 0, 0, 1, 500000000, time.UTC), Pod: "ns/p", Node: "n"},
		},
		{
			name:    "other message",
			line:    `I1122 04:06:02.307386   31510 schedule_one.go:120] "Attempting to schedule pod" pod="throughput/pod-00000"`,
			ref:     ref,
			wantErr: notBinding,
		},
		{
			name:    "continuation of a multi-line message",
			line:    "\tapiVersion: kubescheduler.config.k8s.io/v1",
			ref:     ref,
			wantErr: notBinding,
		},
		{
			name:    "bad header",
			line:    `X1122 04:06:02.307386   1 f.go:1] "Successfully bound pod to node" pod="ns/p" node="n"`,
			ref:     ref,
			wantErr: parseError,
		},
		{
			name:    "no node",
			line:    `I1122 04:06:02.307386   1 f.go:1] "Successfully bound pod to node" pod="ns/p"`,
			ref:     ref,
			wantErr: parseError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBinding(tt.line, tt.ref)
			if kind := kindOf(err); kind != tt.wantErr {
				t.Fatalf("parseBinding() error = %v, want %s", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseBinding() (-want,+got):\n%s", diff)
			}
		})
	}
}

// errKind classifies parseBinding's errors.
type errKind string

const (
	noError    errKind = "no error"
	notBinding errKind = "errNotBinding"
	parseError errKind = "a parse error"
)

func kindOf(err error) errKind {
	switch {
	case err == nil:
		return noError
	case errors.Is(err, errNotBinding):
		return notBinding
	default:
		return parseError
	}
}

func TestBindingReader(t *testing.T) {
	ref := time.Date(2026, time.November, 22, 4, 0, 0, 0, time.UTC)
	log := `I1122 04:06:01.000000   1 server.go:1] "Starting Kubernetes Scheduler"
I1122 04:06:02.000000   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/a" node="n1"
I1122 04:06:02.500000   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/b" node="n2"
I1122 04:06:03.000000   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/a" node="n1"
I1122 04:06:04.000000   1 schedule_one.go:481] "Successfully bound pod to node" pod="ns/c" node="n3"`
	tests := []struct {
		name   string
		chunks int
		want   []string
	}{
		// The last line has no newline yet: it is not read.
		{name: "whole log", chunks: 1, want: []string{"ns/a", "ns/b"}},
		{name: "cut mid-line", chunks: 7, want: []string{"ns/a", "ns/b"}},
		{name: "byte by byte", chunks: len(log), want: []string{"ns/a", "ns/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBindingReader(ref)
			size := (len(log) + tt.chunks - 1) / tt.chunks
			for s := log; s != ""; {
				n := min(size, len(s))
				if _, err := r.Write([]byte(s[:n])); err != nil {
					t.Fatalf("Write() error = %v", err)
				}
				s = s[n:]
			}
			var got []string
			for _, b := range r.Bindings() {
				got = append(got, b.Pod)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bindings (-want,+got):\n%s", diff)
			}
			if _, err := r.Write([]byte("\n")); err != nil {
				t.Fatalf("Write() error = %v", err)
			}
			if n := len(r.Bindings()); n != len(tt.want)+1 {
				t.Errorf("after the final newline: %d bindings, want %d (the repeated pod counted once)", n, len(tt.want)+1)
			}
		})
	}
}
