package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	st "github.com/volplace/volplace/topology/testing"
)

// Options configure a load run.
type Options struct {
	// Candidates are the NodeNames counts to run with, one phase each.
	Candidates []int
	// Claims is how many claims the pending pod uses (1 to 3).
	Claims int
	// Rate is pods per second; each pod sends filter then prioritize.
	Rate float64
	// Duration and Warmup are each phase's measured time and the time
	// before it, whose requests are not counted.
	Duration, Warmup time.Duration
	// Cluster sizes the cache the extender reads.
	Cluster st.ClusterSize
	// Parallelism is the extender's Options.Parallelism (0: GOMAXPROCS).
	Parallelism int
	// Output is "table" or "json".
	Output string
	// CPUProfile, when set, is a file to write the server's CPU profile of
	// each measured phase to; inline, the server shares the process with
	// the load generator and the profile covers both.
	CPUProfile string
	// Server is where the extender runs: "process", a child process apart
	// from the load generator, as the extender runs apart from
	// kube-scheduler in production; or "inline", in this process, where
	// the load generator's garbage collections also run over the server's
	// heap and weigh on its tail latency.
	Server string
	// Handler is what answers the extender's verbs: "volplace", the
	// extender over the cache; or "noop", a baseline that decodes the
	// request, passes every node and scores each 0, without a cache: the
	// transport floor any HTTP extender pays.
	Handler string

	// child, set by the hidden --serve flag, makes this process the server
	// of a parent run in process mode rather than a load run.
	child bool
}

// Values of Options.Server.
const (
	serverProcess = "process"
	serverInline  = "inline"
)

// Values of Options.Handler.
const (
	handlerVolplace = "volplace"
	handlerNoop     = "noop"
)

func defaultOptions() *Options {
	return &Options{
		Candidates: []int{500, 5000},
		Claims:     3,
		Rate:       50,
		Duration:   30 * time.Second,
		Warmup:     3 * time.Second,
		Cluster:    st.BenchmarkSize,
		Output:     "table",
		Server:     serverProcess,
		Handler:    handlerVolplace,
	}
}

// AddFlags adds the options' flags to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.IntSliceVar(&o.Candidates, "candidates", o.Candidates, "NodeNames per request, one phase per value.")
	fs.IntVar(&o.Claims, "claims", o.Claims, "Claims of the pending pod, 1 to 3 (new-zonal, new-local, new-bound).")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "Pods per second; each pod sends one filter and one prioritize request.")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "Measured time of each phase.")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "Unmeasured load before each phase.")
	fs.IntVar(&o.Cluster.Nodes, "cluster-nodes", o.Cluster.Nodes, "Nodes in the extender's cache.")
	fs.IntVar(&o.Cluster.Pods, "cluster-pods", o.Cluster.Pods, "Pods in the extender's cache.")
	fs.IntVar(&o.Cluster.Claims, "cluster-claims", o.Cluster.Claims, "Bound PV/PVC pairs in the extender's cache.")
	fs.IntVar(&o.Parallelism, "parallelism", o.Parallelism, "Goroutines per request in the extender (0: GOMAXPROCS).")
	fs.StringVar(&o.Output, "output", o.Output, "Report format: table or json.")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "Write the CPU profile of each measured phase to this file (suffixed .N, N the candidate count, when there are several phases): of the server process with --server process, of the whole process, server and load generator together, with --server inline.")
	fs.StringVar(&o.Server, "server", o.Server, "Where the extender runs: process (a child process, as in production) or inline (in this process, sharing its heap and GC with the load generator).")
	fs.StringVar(&o.Handler, "handler", o.Handler, "What answers the extender's verbs: volplace (the extender over the cache) or noop (a baseline with no cache that decodes the request with encoding/json, passes every node and scores each 0: the transport floor any HTTP extender pays; its server-side figures come from a histogram with volplace's buckets). Both work with either --server.")
	// The server process is this program run with --serve; it needs every
	// field of the cluster size, zones included, to build the same cache
	// the parent picks candidates from.
	fs.BoolVar(&o.child, "serve", o.child, "Run as the server of a process-mode parent.")
	fs.IntVar(&o.Cluster.Zones, "cluster-zones", o.Cluster.Zones, "Zones of the extender's cache.")
	_ = fs.MarkHidden("serve")
	_ = fs.MarkHidden("cluster-zones")
}

// childArgs are the flags of the server process: those that shape the
// server, not the load. The no-op handler ignores the cluster's, but the
// parent still picks the candidates' names from it (CandidateNames, which
// needs no cache).
func (o *Options) childArgs() []string {
	return []string{
		"--serve",
		fmt.Sprintf("--cluster-nodes=%d", o.Cluster.Nodes),
		fmt.Sprintf("--cluster-zones=%d", o.Cluster.Zones),
		fmt.Sprintf("--cluster-pods=%d", o.Cluster.Pods),
		fmt.Sprintf("--cluster-claims=%d", o.Cluster.Claims),
		fmt.Sprintf("--parallelism=%d", o.Parallelism),
		"--handler=" + o.Handler,
	}
}

// Validate checks the options.
func (o *Options) Validate() error {
	var errs []error
	if len(o.Candidates) == 0 {
		errs = append(errs, errors.New("--candidates: at least one count"))
	}
	for _, n := range o.Candidates {
		if n < 1 || n > o.Cluster.Nodes {
			errs = append(errs, errors.New("--candidates: each count must be between 1 and --cluster-nodes"))
			break
		}
	}
	if o.Claims < 1 || o.Claims > 3 {
		errs = append(errs, errors.New("--claims: 1 to 3"))
	}
	if o.Rate <= 0 || o.Duration <= 0 || o.Warmup < 0 {
		errs = append(errs, errors.New("--rate and --duration must be positive, --warmup not negative"))
	}
	if o.Output != "table" && o.Output != "json" {
		errs = append(errs, errors.New("--output: table or json"))
	}
	if o.Server != serverProcess && o.Server != serverInline {
		errs = append(errs, errors.New("--server: process or inline"))
	}
	errs = append(errs, o.validateCluster())
	return errors.Join(errs...)
}

// validateCluster checks the options the server process reads.
func (o *Options) validateCluster() error {
	var errs []error
	if o.Handler != handlerVolplace && o.Handler != handlerNoop {
		errs = append(errs, errors.New("--handler: volplace or noop"))
	}
	if o.Cluster.Zones <= 0 {
		errs = append(errs, errors.New("--cluster-zones must be positive"))
	}
	if o.Cluster.Claims > o.Cluster.Pods {
		errs = append(errs, errors.New("--cluster-claims must not exceed --cluster-pods"))
	}
	return errors.Join(errs...)
}
