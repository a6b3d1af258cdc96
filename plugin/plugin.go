package plugin

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// Name is the plugin's name in a KubeSchedulerConfiguration.
const Name = "Volplace"

// Volplace evaluates a pod's volumes with volplace's rules.
type Volplace struct {
	store *store.Store
	ev    *topology.Evaluator
	holds *topology.Holds
	// parallelism is how many goroutines PreFilter's own work may use.
	parallelism int
}

var (
	_ fwk.PreFilterPlugin   = &Volplace{}
	_ fwk.FilterPlugin      = &Volplace{}
	_ fwk.PreScorePlugin    = &Volplace{}
	_ fwk.ScorePlugin       = &Volplace{}
	_ fwk.ScoreExtensions   = &Volplace{}
	_ fwk.ReservePlugin     = &Volplace{}
	_ fwk.EnqueueExtensions = &Volplace{}
)

// errNotSynced fails a scheduling attempt before the store has seen the
// informers' first lists: the pod is retried after a backoff.
var errNotSynced = errors.New("volplace: the informer caches have not synced yet")

// New is the plugin's factory, for app.WithPlugin. It reads the plugin's
// arguments (Args) and builds the store over the scheduler's shared
// informer factory, which the scheduler starts after building its plugins.
func New(_ context.Context, args k8sruntime.Object, h fwk.Handle) (fwk.Plugin, error) {
	opts, err := decodeArgs(args)
	if err != nil {
		return nil, err
	}
	s, err := store.NewShared(h.SharedInformerFactory())
	if err != nil {
		return nil, fmt.Errorf("building the volplace store: %w", err)
	}
	return NewForStore(s, opts), nil
}

// DefaultOptions are the rules' options in a profile where volplace
// replaces kube-scheduler's volume limit filter: each attached volume
// counts once, as on the node.
func DefaultOptions() topology.Options {
	o := topology.DefaultOptions()
	o.InTreeVolumeLimits = false
	return o
}

// NewForStore returns the plugin over a store the caller built and
// starts, with the given options: for tests and tools that run the
// plugin's extension points without a scheduler (over store.NewStatic, a
// dump of objects).
func NewForStore(s *store.Store, opts topology.Options) *Volplace {
	holds := topology.NewHolds(topology.DefaultHoldTTL, nil)
	return &Volplace{
		store:       s,
		ev:          topology.NewEvaluator(s, opts).WithHolds(holds).FailFast(),
		holds:       holds,
		parallelism: runtime.GOMAXPROCS(0),
	}
}

// Name returns the plugin's name.
func (pl *Volplace) Name() string { return Name }
