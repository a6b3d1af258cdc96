package soak

import (
	"math"
	"time"
)

// Latencies is a histogram of request latencies in logarithmic buckets 2 %
// wide, from 1 µs up: its size is fixed, so recording a million requests
// retains nothing per request (the leak test samples this process's heap).
// It is not safe for concurrent use: give each client its own and Merge.
type Latencies struct {
	counts [latencyBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	// bucketsPerE is the number of buckets per factor e: a bucket spans
	// a factor e^(1/50), about 2 %.
	bucketsPerE    = 50
	latencyBuckets = 30 * bucketsPerE // up to e^30 ns, beyond any timeout
)

func bucketOf(d time.Duration) int {
	if d < time.Microsecond {
		d = time.Microsecond
	}
	return min(int(math.Log(float64(d))*bucketsPerE), latencyBuckets-1)
}

// Record adds a latency.
func (l *Latencies) Record(d time.Duration) {
	l.counts[bucketOf(d)]++
	l.n++
	l.max = max(l.max, d)
}

// Merge adds another histogram's latencies.
func (l *Latencies) Merge(o *Latencies) {
	for i, c := range o.counts {
		l.counts[i] += c
	}
	l.n += o.n
	l.max = max(l.max, o.max)
}

// Count returns how many latencies were recorded.
func (l *Latencies) Count() uint64 { return l.n }

// Max returns the largest latency recorded.
func (l *Latencies) Max() time.Duration { return l.max }

// Quantile returns the q-quantile (0 < q <= 1), the upper bound of its
// bucket, or 0 when nothing was recorded.
func (l *Latencies) Quantile(q float64) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(l.n)))
	var seen uint64
	for i, c := range l.counts {
		if seen += c; seen >= rank {
			return min(time.Duration(math.Exp(float64(i+1)/bucketsPerE)), l.max)
		}
	}
	return l.max
}
