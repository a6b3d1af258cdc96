package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// volplaceMetric counts volplace's extender requests by verb and code.
const volplaceMetric = "volplace_extender_requests_total"

// sumCounter adds up the samples of the counter name whose labels contain
// label (such as `verb="filter"`) in a Prometheus text page; ok is false
// when there is none.
func sumCounter(page, name, label string) (sum float64, ok bool) {
	for line := range strings.Lines(page) {
		sample, isSample := strings.CutPrefix(line, name+"{")
		labels, rest, found := strings.Cut(sample, "} ")
		if !isSample || !found || !strings.Contains(labels, label) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			continue
		}
		sum, ok = sum+v, true
	}
	return sum, ok
}

// volplaceDuration is volplace's histogram of answer times by verb.
const volplaceDuration = "volplace_extender_request_duration_seconds"

// extenderStats are read from an extender's metrics page after a run.
type extenderStats struct {
	// FilterCalls counts the filter requests.
	FilterCalls int
	// ServerTime is the mean time volplace took to answer filter plus
	// prioritize, per filter request; 0 for the no-op extender.
	ServerTime time.Duration
}

// readExtenderStats reads an extender's metrics page: metric counts its
// requests by verb.
func readExtenderStats(ctx context.Context, url, metric string) (extenderStats, error) {
	code, body, err := harness.HTTPGet(ctx, http.DefaultClient, url)
	if err != nil {
		return extenderStats{}, fmt.Errorf("reading %s: %w", url, err)
	}
	if code != http.StatusOK {
		return extenderStats{}, fmt.Errorf("reading %s: HTTP %d", url, code)
	}
	page := string(body)
	const filter = `verb="filter"`
	n, ok := sumCounter(page, metric, filter)
	if !ok {
		return extenderStats{}, fmt.Errorf("%s has no %s{%s}", url, metric, filter)
	}
	stats := extenderStats{FilterCalls: int(n)}
	if seconds, ok := sumCounter(page, volplaceDuration+"_sum", ""); ok && n > 0 {
		stats.ServerTime = time.Duration(seconds / n * float64(time.Second))
	}
	return stats, nil
}
