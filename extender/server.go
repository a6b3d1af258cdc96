package extender

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// Paths of the extender verbs, relative to kube-scheduler's urlPrefix.
const (
	FilterPath     = "/filter"
	PrioritizePath = "/prioritize"
)

// DefaultMaxBodyBytes caps a request body: enough for full Node objects of a
// few thousand nodes.
const DefaultMaxBodyBytes = 64 << 20

// Options configure the handler.
type Options struct {
	// MaxBodyBytes caps a request body; larger requests get HTTP 413.
	MaxBodyBytes int64
	// Ready reports whether the store has synced; until then requests
	// get an answer with Error set. Nil means always ready.
	Ready func() bool
	// InFlightTTL is how long what a pod needs (its single-node claims,
	// the capacity of its claims to provision) stays held after it passes
	// filter, at most: until the API shows where the pod went
	// (topology.Holds); 0 turns holds off.
	InFlightTTL time.Duration
	// Now is the clock of holds and capacity accounting; nil means time.Now.
	Now func() time.Time
	// Parallelism is how many goroutines evaluate one request's nodes;
	// 0 means GOMAXPROCS.
	Parallelism int
}

type server struct {
	// ev answers requests; explain, which evaluates every rule and
	// explains each reason, serves the debug log.
	explain *topology.Evaluator
	ev      *topology.Evaluator
	opts    Options
	holds   *topology.Holds // nil: holds are off
}

// NewHandler returns the extender's HTTP handler over an evaluator.
func NewHandler(ev *topology.Evaluator, opts Options) (http.Handler, error) {
	if ev == nil {
		return nil, errors.New("extender: evaluator is required")
	}
	if opts.MaxBodyBytes <= 0 {
		return nil, fmt.Errorf("extender: MaxBodyBytes must be positive, not %d", opts.MaxBodyBytes)
	}
	RegisterMetrics()
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	// The verdict and the reason kube-scheduler sees do not depend on the
	// reasons after a node's first unresolvable one.
	if opts.InFlightTTL > 0 {
		now := opts.Now
		if now == nil {
			now = time.Now
		}
		ev = ev.WithHolds(topology.NewHolds(opts.InFlightTTL, now)).WithClock(now)
	}
	s := &server{ev: ev.FailFast(), explain: ev.WithDetails(), opts: opts, holds: ev.Holds()}
	r := mux.NewRouter()
	r.Handle(FilterPath, s.instrument("filter", s.filter)).Methods(http.MethodPost)
	r.Handle(PrioritizePath, s.instrument("prioritize", s.prioritize)).Methods(http.MethodPost)
	return r, nil
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *server) instrument(verb string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h(rec, r)
		requestDuration.WithLabelValues(verb).Observe(time.Since(start).Seconds())
		requestsTotal.WithLabelValues(verb, strconv.Itoa(rec.code)).Inc()
	})
}

// decode reads ExtenderArgs, answering 400 or 413 itself on failure. The
// request holds its body until it is resolved or released.
func (s *server) decode(w http.ResponseWriter, r *http.Request) (*request, bool) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	req, err := decodeRequest(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", tooLarge.Limit), http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, fmt.Sprintf("decoding ExtenderArgs: %v", err), http.StatusBadRequest)
		return nil, false
	}
	switch {
	case req.Pod == nil:
		http.Error(w, "ExtenderArgs.Pod is required", http.StatusBadRequest)
	case req.NodeNames == nil && req.Nodes == nil:
		http.Error(w, "ExtenderArgs.NodeNames or ExtenderArgs.Nodes is required", http.StatusBadRequest)
	default:
		return req, true
	}
	req.release()
	return nil, false
}

func (s *server) ready() bool { return s.opts.Ready == nil || s.opts.Ready() }

func (s *server) filter(w http.ResponseWriter, r *http.Request) {
	args, ok := s.decode(w, r)
	if !ok {
		return
	}
	logger := klog.FromContext(r.Context())
	if !s.ready() {
		args.release()
		writeJSON(w, &extenderv1.ExtenderFilterResult{Error: "volplace: cache not synced yet"})
		return
	}
	cands := args.resolve(s.ev.Cluster(), s.opts.Parallelism)
	defer topology.ReleaseCandidates(cands)
	out := filter(r.Context(), s.ev, s.holds, args, cands, s.opts.Parallelism)
	for _, rejected := range out.tally.Rejected {
		filteredNodesTotal.WithLabelValues(string(rejected.Code)).Add(float64(rejected.Nodes))
	}
	if logger.V(4).Enabled() {
		logger.V(4).Info("Filtered nodes", "pod", klog.KObj(args.Pod), "failed", out.tally.Failed, "unresolvable", out.tally.Unresolvable)
	}
	if logger.V(5).Enabled() {
		s.logRejected(logger, args.Pod, out.cands)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	body, err := appendFilterResult((*buf)[:0], out)
	if err != nil {
		writeJSON(w, &extenderv1.ExtenderFilterResult{Error: fmt.Sprintf("volplace: encoding the result: %v", err)})
		return
	}
	*buf = body
	writeBytes(w, body)
}

func (s *server) prioritize(w http.ResponseWriter, r *http.Request) {
	args, ok := s.decode(w, r)
	if !ok {
		return
	}
	if !s.ready() {
		args.release()
		http.Error(w, "volplace: cache not synced yet", http.StatusServiceUnavailable)
		return
	}
	cands := args.resolve(s.ev.Cluster(), s.opts.Parallelism)
	defer topology.ReleaseCandidates(cands)
	list := prioritize(s.ev, args.Pod, cands, s.opts.Parallelism)
	klog.FromContext(r.Context()).V(4).Info("Prioritized nodes", "pod", klog.KObj(args.Pod), "nodes", len(list))
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = appendPriorities((*buf)[:0], list)
	writeBytes(w, *buf)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// logRejected logs every reason of each rejected node, with its figures:
// the answer carries one reason per node, without figures. The nodes are
// evaluated again by the explaining evaluator, which gives every reason.
func (s *server) logRejected(logger klog.Logger, pod *corev1.Pod, cands []topology.Candidate) {
	// explained are the rejected nodes the pod was evaluated on: the
	// others, unknown or sent back before evaluation, have one reason.
	explained := func(c *topology.Candidate) bool {
		return !c.Fits && c.Code != topology.CodeNodeUnknown && c.Code != codeClaimInFlight
	}
	var again []topology.Candidate
	for i := range cands {
		if c := &cands[i]; explained(c) {
			again = append(again, *c)
		}
	}
	if len(again) > 0 {
		s.explain.EvaluateNodes(s.explain.Prepare(pod), again, s.opts.Parallelism)
	}
	for i := range cands {
		c := &cands[i]
		switch {
		case c.Fits:
		case explained(c):
			for _, r := range again[0].Result.Reasons {
				logger.V(5).Info("Node rejected", "pod", klog.KObj(pod), "node", klog.KRef("", c.Name),
					"reason", r.String(), "details", r.Detail, "unresolvable", r.Unresolvable)
			}
			again = again[1:]
		default:
			logger.V(5).Info("Node rejected", "pod", klog.KObj(pod), "node", klog.KRef("", c.Name), "reason", c.Message)
		}
	}
}
