package soak

import (
	"strings"
	"testing"
)

// series returns n samples, one every step requests, with heap(i) bytes
// in use and goroutines(i) goroutines.
func series(n int, step uint64, heap func(i int) uint64, goroutines func(i int) int) []MemSample {
	out := make([]MemSample, n)
	for i := range out {
		out[i] = MemSample{Requests: uint64(i) * step, HeapInuse: heap(i), Goroutines: goroutines(i)}
	}
	return out
}

func TestFlatnessCheck(t *testing.T) {
	const base = 40 << 20
	flat := func(int) uint64 { return base }
	same := func(int) int { return 100 }
	tests := []struct {
		name    string
		samples []MemSample
		wantErr string
	}{
		{
			name:    "flat",
			samples: series(41, 25000, flat, same),
		},
		{
			name: "warm-up growth is ignored",
			samples: series(41, 25000, func(i int) uint64 {
				if i < 4 {
					return base / 2
				}
				return base
			}, same),
		},
		{
			name: "one outlier per quarter is ignored",
			samples: series(41, 25000, func(i int) uint64 {
				if i == 38 || i == 20 {
					return 3 * base
				}
				return base
			}, same),
		},
		{
			name:    "1 KiB per request over a million requests",
			samples: series(41, 25000, func(i int) uint64 { return base + uint64(i)*25000*1024 }, same),
			wantErr: "(1024 bytes per request)",
		},
		{
			name:    "64 bytes per request over a million requests",
			samples: series(41, 25000, func(i int) uint64 { return base + uint64(i)*25000*64 }, same),
			wantErr: "(64 bytes per request)",
		},
		{
			name:    "1 KiB per request over 10 000 requests",
			samples: series(21, 500, func(i int) uint64 { return base + uint64(i)*500*1024 }, same),
			wantErr: "(1024 bytes per request)",
		},
		{
			name:    "8 bytes per request is tolerated",
			samples: series(41, 25000, func(i int) uint64 { return base + uint64(i)*25000*8 }, same),
		},
		{
			name:    "goroutine leak",
			samples: series(41, 25000, flat, func(i int) int { return 100 + i }),
			wantErr: "goroutines grew",
		},
		{
			name:    "too few samples",
			samples: series(4, 25000, flat, same),
			wantErr: "at least 4 are needed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DefaultFlatness().Check(tt.samples)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Check() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
