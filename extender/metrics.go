package extender

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const subsystem = "volplace_extender"

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
		Buckets:        metrics.ExponentialBuckets(0.0001, 2, 17),
		StabilityLevel: metrics.ALPHA,
	}, []string{"verb"})
	filteredNodesTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      subsystem,
		Name:           "filtered_nodes_total",
		Help:           "Nodes rejected by the filter verb, by reason code (a node rejected for two reasons counts under both).",
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
