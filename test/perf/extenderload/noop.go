package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"k8s.io/component-base/metrics"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
)

// The no-op extender is the baseline of --handler noop: the transport floor
// any HTTP extender pays. It decodes each request's ExtenderArgs with
// encoding/json and answers without looking at the cluster: filter passes
// every one of the request's NodeNames, prioritize scores each 0. It
// serves the extender's paths, so that the load generator drives both
// handlers alike, and needs no cache.

// noopMetric is the no-op extender's latency histogram, on a registry of its
// own, apart from volplace's durationMetric.
const noopMetric = "extenderload_noop_request_duration_seconds"

// newNoop returns the no-op extender's handler and where to read its
// histogram: a registry of its own, made anew by each call.
func newNoop() (http.Handler, histogramSource) {
	duration := metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "extenderload",
		Subsystem:      "noop",
		Name:           "request_duration_seconds",
		Help:           "Time to answer a no-op extender request, from the first byte read to the last written, by verb.",
		Buckets:        extender.LatencyBuckets(), // percentiles interpolated as volplace's
		StabilityLevel: metrics.ALPHA,
	}, []string{"verb"})
	reg := metrics.NewKubeRegistry()
	reg.MustRegister(duration)
	// As volplace's instrument (extender/server.go): from the handler's
	// start to the end of its write, routing excluded.
	instrument := func(verb string, h http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			h(w, r)
			duration.WithLabelValues(verb).Observe(time.Since(start).Seconds())
		})
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+extender.FilterPath, instrument("filter", noopFilter))
	mux.Handle("POST "+extender.PrioritizePath, instrument("prioritize", noopPrioritize))
	return mux, histogramSource{gatherer: reg, name: noopMetric}
}

// noopFilter passes every node of the request.
func noopFilter(w http.ResponseWriter, r *http.Request) {
	args, ok := decodeNoop(w, r)
	if !ok {
		return
	}
	writeNoop(w, &extenderv1.ExtenderFilterResult{NodeNames: args.NodeNames})
}

// noopPrioritize scores every node of the request 0.
func noopPrioritize(w http.ResponseWriter, r *http.Request) {
	args, ok := decodeNoop(w, r)
	if !ok {
		return
	}
	list := make(extenderv1.HostPriorityList, len(*args.NodeNames))
	for i, name := range *args.NodeNames {
		list[i] = extenderv1.HostPriority{Host: name, Score: 0}
	}
	writeNoop(w, &list)
}

// decodeNoop reads ExtenderArgs, with volplace's cap on the body, answering
// 400 or 413 itself on failure. Only NodeNames mode is served.
func decodeNoop(w http.ResponseWriter, r *http.Request) (*extenderv1.ExtenderArgs, bool) {
	var args extenderv1.ExtenderArgs
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, extender.DefaultMaxBodyBytes)).Decode(&args); err != nil {
		code := http.StatusBadRequest
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		http.Error(w, fmt.Sprintf("decoding ExtenderArgs: %v", err), code)
		return nil, false
	}
	if args.NodeNames == nil {
		http.Error(w, "ExtenderArgs.NodeNames is required: the no-op extender serves NodeNames mode only", http.StatusBadRequest)
		return nil, false
	}
	return &args, true
}

// writeNoop answers v encoded with encoding/json, in one write with a
// Content-Length, as volplace writes its answers (writeBytes in
// extender/encode.go), so that both go over the wire alike.
func writeNoop(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("encoding the answer: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
