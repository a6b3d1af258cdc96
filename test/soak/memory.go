package soak

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
)

// MemSample is this process's memory and goroutines after a full garbage
// collection, taken between two rounds of load when no request is in
// flight.
type MemSample struct {
	// Requests is how many requests were sent before the sample.
	Requests uint64
	// HeapInuse and HeapAlloc come from runtime.MemStats.
	HeapInuse, HeapAlloc uint64
	Goroutines           int
}

// TakeSample collects garbage and samples.
func TakeSample(requests uint64) MemSample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return MemSample{Requests: requests, HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc, Goroutines: runtime.NumGoroutine()}
}

func (s MemSample) String() string {
	return fmt.Sprintf("after %d requests: heap in use %.1f MiB (live %.1f MiB), %d goroutines",
		s.Requests, mib(s.HeapInuse), mib(s.HeapAlloc), s.Goroutines)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Flatness is the criterion for "memory stays flat". The samples taken
// once WarmUp of the requests have been sent are split in quarters;
// the median heap in use of the last quarter may exceed that of the first
// by at most SlackBytes plus BytesPerRequest for each request sent between
// the two quarters' middles, and the most goroutines of the last quarter
// may exceed the most of the first by GoroutineSlack.
//
// Medians of quarters shrug off one-off outliers (a pool refilled, a span
// not yet returned), comparing quarters rather than the first and last
// sample keeps the warm-up out, and the per-request allowance scales the
// bound with the run: a leak of b bytes per request grows the heap by b
// for each request, so any b well above BytesPerRequest fails, whatever
// the number of requests, once (b - BytesPerRequest) times the requests
// between the middles exceeds SlackBytes.
type Flatness struct {
	WarmUp          float64
	SlackBytes      uint64
	BytesPerRequest float64
	GoroutineSlack  int
}

// DefaultFlatness returns the criterion of the leak test: after 10 % of
// the requests, growth of at most 4 MiB plus 16 bytes per request (with a
// million requests about 15 MiB, where a leak of 1 KiB per request would
// add about 700 MiB) and 8 goroutines.
func DefaultFlatness() Flatness {
	return Flatness{WarmUp: 0.1, SlackBytes: 4 << 20, BytesPerRequest: 16, GoroutineSlack: 8}
}

// Check returns an error when the samples do not meet the criterion, or
// are too few to judge (fewer than four after the warm-up).
func (f Flatness) Check(samples []MemSample) error {
	if len(samples) == 0 {
		return errors.New("no samples")
	}
	warm := uint64(f.WarmUp * float64(samples[len(samples)-1].Requests))
	i := slices.IndexFunc(samples, func(s MemSample) bool { return s.Requests >= warm })
	if i < 0 || len(samples)-i < 4 {
		return fmt.Errorf("%d samples after the warm-up of %d requests: at least 4 are needed", max(0, len(samples)-i), warm)
	}
	measured := samples[i:]
	q := len(measured) / 4
	first, last := measured[:q], measured[len(measured)-q:]
	span := last[q/2].Requests - first[q/2].Requests
	base, end := median(first), median(last)
	allowed := f.SlackBytes + uint64(f.BytesPerRequest*float64(span))
	var errs []error
	if end > base+allowed {
		errs = append(errs, fmt.Errorf("heap in use grew from %.1f MiB to %.1f MiB over %d requests (%.0f bytes per request); at most %.1f MiB is allowed",
			mib(base), mib(end), span, float64(end-base)/float64(span), mib(allowed)))
	}
	if g0, g1 := mostGoroutines(first), mostGoroutines(last); g1 > g0+f.GoroutineSlack {
		errs = append(errs, fmt.Errorf("goroutines grew from %d to %d; at most %d more are allowed", g0, g1, f.GoroutineSlack))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("memory is not flat: %w", err)
	}
	return nil
}

func median(samples []MemSample) uint64 {
	v := make([]uint64, len(samples))
	for i, s := range samples {
		v[i] = s.HeapInuse
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func mostGoroutines(samples []MemSample) int {
	most := 0
	for _, s := range samples {
		most = max(most, s.Goroutines)
	}
	return most
}
