package main

import (
	"fmt"
	"math"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"
)

// durationMetric is volplace's extender latency histogram.
const durationMetric = "volplace_extender_request_duration_seconds"

// histogramSource is where a server's latency histogram is read: a
// registry and the metric's name there, which has a verb label.
type histogramSource struct {
	gatherer metrics.Gatherer
	name     string
}

// volplaceHistogram is volplace's histogram, on the legacy registry.
var volplaceHistogram = histogramSource{gatherer: legacyregistry.DefaultGatherer, name: durationMetric}

// read reads the histogram of a verb. Before the first request of the
// verb the registry has no series of it, nor, before any request, the
// metric: both read as an empty histogram.
func (s histogramSource) read(verb string) (*dto.Histogram, error) {
	families, err := s.gatherer.Gather()
	if err != nil {
		return nil, fmt.Errorf("reading %s{verb=%q}: %w", s.name, verb, err)
	}
	for _, f := range families {
		if f.GetName() != s.name {
			continue
		}
		for _, m := range f.GetMetric() {
			if testutil.LabelsMatch(m, map[string]string{"verb": verb}) && m.GetHistogram() != nil {
				return m.GetHistogram(), nil
			}
		}
	}
	return &dto.Histogram{}, nil
}

// histogramDelta returns what after observed since before: the requests of
// one phase.
func histogramDelta(before, after *dto.Histogram) *dto.Histogram {
	d := &dto.Histogram{
		SampleCount: ptr(after.GetSampleCount() - before.GetSampleCount()),
		SampleSum:   ptr(after.GetSampleSum() - before.GetSampleSum()),
	}
	for i, b := range after.GetBucket() {
		count := b.GetCumulativeCount()
		if i < len(before.GetBucket()) {
			count -= before.GetBucket()[i].GetCumulativeCount()
		}
		d.Bucket = append(d.Bucket, &dto.Bucket{UpperBound: ptr(b.GetUpperBound()), CumulativeCount: ptr(count)})
	}
	return d
}

// serverFigures are percentiles estimated from a histogram as Prometheus'
// histogram_quantile does (linear within a bucket); max is the upper bound
// of the highest bucket holding a request.
type serverFigures struct {
	Count         uint64
	P50, P99, Max float64 // seconds
}

func figuresOf(h *dto.Histogram) serverFigures {
	f := serverFigures{Count: h.GetSampleCount()}
	if f.Count == 0 {
		return f
	}
	th := &testutil.Histogram{Histogram: h}
	f.P50, f.P99 = th.Quantile(0.50), th.Quantile(0.99)
	f.Max = math.Inf(1)
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCount() == f.Count {
			f.Max = b.GetUpperBound()
			break
		}
	}
	return f
}

func ptr[T any](v T) *T { return &v }
