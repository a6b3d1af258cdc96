package soak

import (
	"testing"
	"time"
)

func TestLatencies(t *testing.T) {
	var a, b Latencies
	for i := 1; i <= 99; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	b.Record(2 * time.Second)
	a.Merge(&b)
	if a.Count() != 100 || a.Max() != 2*time.Second {
		t.Fatalf("Count() = %d, Max() = %v; want 100 and 2s", a.Count(), a.Max())
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 2 * time.Second}} {
		// Buckets are 2 % wide; the quantile is its bucket's upper bound.
		if got := a.Quantile(tt.q); got < tt.want || got > tt.want*103/100 {
			t.Errorf("Quantile(%v) = %v, want %v (+2 %%)", tt.q, got, tt.want)
		}
	}
}
