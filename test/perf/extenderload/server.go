package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// Paths of the endpoints the load generator reads the server through, next
// to the extender's verbs. Both modes and both handlers use them, so that
// the generator needs nothing from the server's process.
const (
	histogramPath    = "/debug/histogram"
	profileStartPath = "/debug/profile/start"
	profileStopPath  = "/debug/profile/stop"
)

// listeningPrefix starts the line the server process prints on its stdout
// once it takes requests; the address follows.
const listeningPrefix = "listening "

// listen serves the extender of Handler and the debug endpoints on a
// loopback port, in this process, until the returned server is closed;
// volplace's over the cache, which it builds first.
func (o *Options) listen() (*http.Server, string, error) {
	handler, hist, err := o.handler()
	if err != nil {
		return nil, "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: serverMux(handler, hist), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, l.Addr().String(), nil
}

// handler returns the extender of Handler and where to read its latency
// histogram. Only volplace's needs the cache.
func (o *Options) handler() (http.Handler, histogramSource, error) {
	switch o.Handler {
	case handlerNoop:
		h, hist := newNoop()
		return h, hist, nil
	case handlerVolplace:
	default:
		return nil, histogramSource{}, fmt.Errorf("unknown handler %q", o.Handler)
	}
	snap, err := store.NewStatic(st.LargeCluster(o.Cluster)...)
	if err != nil {
		return nil, histogramSource{}, fmt.Errorf("building the cache: %w", err)
	}
	h, err := extender.NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()),
		extender.Options{MaxBodyBytes: extender.DefaultMaxBodyBytes, Parallelism: o.Parallelism})
	if err != nil {
		return nil, histogramSource{}, fmt.Errorf("creating the extender: %w", err)
	}
	return h, volplaceHistogram, nil
}

// serverMux routes the extender's verbs to its handler and the debug paths
// to theirs; hist is the extender's latency histogram.
func serverMux(ext http.Handler, hist histogramSource) *http.ServeMux {
	p := &profiler{}
	mux := http.NewServeMux()
	mux.Handle("/", ext)
	mux.HandleFunc("GET "+histogramPath, hist.serve)
	mux.HandleFunc("POST "+profileStartPath, p.start)
	mux.HandleFunc("POST "+profileStopPath, p.stop)
	return mux
}

// serve answers the histogram of the verb in the query as JSON.
func (s histogramSource) serve(w http.ResponseWriter, r *http.Request) {
	h, err := s.read(r.URL.Query().Get("verb"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	data, err := json.Marshal(h)
	if err != nil {
		http.Error(w, fmt.Sprintf("encoding the histogram: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// profiler takes the process's CPU profile between a start and a stop
// request and answers the stop with it, so that the server process writes
// no file: the parent names and writes the profiles.
type profiler struct {
	mu  sync.Mutex
	buf *bytes.Buffer // nil when no profile runs
}

func (p *profiler) start(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf != nil {
		http.Error(w, "a CPU profile is already running", http.StatusConflict)
		return
	}
	buf := &bytes.Buffer{}
	if err := pprof.StartCPUProfile(buf); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.buf = buf
}

func (p *profiler) stop(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf == nil {
		http.Error(w, "no CPU profile is running", http.StatusConflict)
		return
	}
	// StopCPUProfile returns once the profile is wholly written to buf.
	pprof.StopCPUProfile()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(p.buf.Bytes())
	p.buf = nil
}

// serve is the server process of a process-mode run: it serves the
// extender of Handler, prints its address on out once it takes requests, and serves
// until in ends or ctx does. The parent holds the other end of in, so the
// server ends with the parent even if the parent is killed.
func (o *Options) serve(ctx context.Context, in io.Reader, out io.Writer) error {
	if err := o.validateCluster(); err != nil {
		return err
	}
	srv, addr, err := o.listen()
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	if _, err := fmt.Fprintf(out, "%s%s\n", listeningPrefix, addr); err != nil {
		return fmt.Errorf("telling the parent the address: %w", err)
	}
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, in)
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
	}
	return nil
}
