package webhook

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// Rules, as the decisions metric labels them.
const (
	ruleDefaultClass     = "default-storage-class"
	ruleAccessModes      = "access-modes"
	ruleDeletionGuard    = "deletion-guard"
	ruleBindingMode      = "binding-mode"
	ruleClassChecks      = "storage-class-checks"
	ruleNodeNameRewrite  = "node-name-rewrite"
	ruleExtenderResource = "extender-resource"
	ruleSchedulerName    = "scheduler-name"
)

// Decisions.
const (
	decisionAllowed = "allowed"
	decisionDenied  = "denied"
	decisionMutated = "mutated"
	decisionWarned  = "warned"
)

var (
	decisionsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "volplace_webhook",
		Name:           "decisions_total",
		Help:           "Admission decisions by rule and decision (allowed, denied, mutated, warned).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"rule", "decision"})
	registerOnce sync.Once
)

// RegisterMetrics registers the webhook's metrics with the legacy registry
// once.
func RegisterMetrics() {
	registerOnce.Do(func() { legacyregistry.MustRegister(decisionsTotal) })
}

func record(rule, decision string) { decisionsTotal.WithLabelValues(rule, decision).Inc() }
