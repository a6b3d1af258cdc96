package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
)

// The no-op extender's command, paths and request counter.
const (
	noopCommand     = "noop-extender"
	noopHealthPath  = "/healthz"
	noopMetricsPath = "/metrics"
	noopMetric      = "throughput_noop_extender_requests_total"
)

// noopExtender answers the extender verbs the cheapest way an extender can:
// it decodes ExtenderArgs as any extender must, keeps every node and gives
// each a score of 0. Its cost is the floor of the HTTP extender mechanism.
// It counts the requests by verb, served as a Prometheus counter.
type noopExtender struct {
	filters, prioritizes atomic.Int64
}

func (*noopExtender) decode(w http.ResponseWriter, r *http.Request) (*extenderv1.ExtenderArgs, bool) {
	var args extenderv1.ExtenderArgs
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, extender.DefaultMaxBodyBytes)).Decode(&args); err != nil {
		http.Error(w, fmt.Sprintf("decoding ExtenderArgs: %v", err), http.StatusBadRequest)
		return nil, false
	}
	return &args, true
}

func (e *noopExtender) filter(w http.ResponseWriter, r *http.Request) {
	e.filters.Add(1)
	args, ok := e.decode(w, r)
	if !ok {
		return
	}
	reply(w, &extenderv1.ExtenderFilterResult{Nodes: args.Nodes, NodeNames: args.NodeNames})
}

func (e *noopExtender) prioritize(w http.ResponseWriter, r *http.Request) {
	e.prioritizes.Add(1)
	args, ok := e.decode(w, r)
	if !ok {
		return
	}
	var names []string
	if args.NodeNames != nil {
		names = *args.NodeNames
	} else if args.Nodes != nil {
		for i := range args.Nodes.Items {
			names = append(names, args.Nodes.Items[i].Name)
		}
	}
	scores := make(extenderv1.HostPriorityList, len(names))
	for i, name := range names {
		scores[i] = extenderv1.HostPriority{Host: name}
	}
	reply(w, &scores)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, fmt.Sprintf("encoding the answer: %v", err), http.StatusInternalServerError)
	}
}

func (e *noopExtender) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = fmt.Fprintf(w, "# TYPE %[1]s counter\n%[1]s{verb=\"filter\"} %[2]d\n%[1]s{verb=\"prioritize\"} %[3]d\n",
		noopMetric, e.filters.Load(), e.prioritizes.Load())
}

// Handler serves POST filter and prioritize at extender's paths, GET
// noopHealthPath and GET noopMetricsPath.
func (e *noopExtender) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+extender.FilterPath, e.filter)
	mux.HandleFunc("POST "+extender.PrioritizePath, e.prioritize)
	mux.HandleFunc("GET "+noopHealthPath, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET "+noopMetricsPath, e.metrics)
	return mux
}

// serveNoop serves the no-op extender on addr until ctx ends.
func serveNoop(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: (&noopExtender{}).Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	klog.FromContext(ctx).Info("Serving the no-op extender", "address", l.Addr().String())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the no-op extender: %w", err)
	}
	return nil
}

func newNoopCommand() *cobra.Command {
	addr := "127.0.0.1:8888"
	cmd := &cobra.Command{
		Use:   noopCommand,
		Short: "Serve an extender that decodes each request and keeps every node, the transport floor of an HTTP extender",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serveNoop(ctx, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "Address to serve the extender verbs and "+noopHealthPath+" on.")
	return cmd
}
