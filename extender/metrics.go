package extender

import (
	"slices"
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const subsystem = "volplace_extender"

// latencyBuckets resolve the sub-millisecond answers of a healthy extender
// as well as the seconds of an overloaded one.
var latencyBuckets = []float64{
	0.00005, 0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.00065, 0.0008,
	0.001, 0.00125, 0.0015, 0.002, 0.0025, 0.003, 0.004, 0.005, 0.0065, 0.008,
	0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
}

// LatencyBuckets returns the buckets of volplace_extender_request_duration_seconds,
// for a histogram that is to be compared with it.
func LatencyBuckets() []float64 { return slices.Clone(latencyBuckets) }

var (
	requestsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      subsystem,
		Name:           "requests_total",
		Help:           "Extender requests by verb and HTTP status code.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"verb", "code"})
	requestDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      subsystem,
		Name:           "request_duration_seconds",
		Help:           "Time to answer an extender request, from the first byte read to the last written, by verb.",
		Buckets:        LatencyBuckets(),
		StabilityLevel: metrics.ALPHA,
	}, []string{"verb"})
	filteredNodesTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      subsystem,
		Name:           "filtered_nodes_total",
		Help:           "Nodes rejected by the filter verb, by the code of the reason sent to kube-scheduler for each.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"reason"})

	registerOnce sync.Once
)

// RegisterMetrics registers the extender's metrics with the legacy registry
// once.
func RegisterMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(requestsTotal, requestDuration, filteredNodesTotal)
	})
}
