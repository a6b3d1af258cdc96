// Package extender will serve kube-scheduler's HTTP extender verbs, filter
// and prioritize, as a thin adapter over package topology.
package extender
