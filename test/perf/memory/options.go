package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/volplace/volplace/test/internal/harness"
)

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// Options are the flags of the memory benchmark.
type Options struct {
	// Assets is the directory with etcd and kube-apiserver.
	Assets string
	// Size scales the cluster: 1 is topology/testing.BenchmarkSize.
	Size float64
	// Workers is how many clients create objects in parallel.
	Workers int
	// QPS and Burst limit the creating clients together.
	QPS   float32
	Burst int
	// Volplace is a volplace binary to run; empty builds one.
	Volplace string
	// SyncTimeout bounds the wait for volplace's /readyz.
	SyncTimeout time.Duration
	// Settle is how long to wait after /readyz before measuring.
	Settle time.Duration
	// Output is "table" or "json".
	Output string
	// GoMemLimits are the GOMEMLIMIT values volplace is measured with, one
	// run each against the same cluster; "" leaves it unset.
	GoMemLimits []string
	// HeapProfiles, when set, is a directory to save volplace's heap
	// profile into, one file per run.
	HeapProfiles string
}

// NewOptions returns the defaults of the benchmark.
func NewOptions() *Options {
	return &Options{
		Assets:      os.Getenv(harness.EnvAssets),
		Size:        1,
		Workers:     16,
		QPS:         5000,
		Burst:       10000,
		SyncTimeout: 10 * time.Minute,
		Settle:      5 * time.Second,
		GoMemLimits: []string{""},
		Output:      outputTable,
	}
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Assets, "assets", o.Assets, "Directory with etcd and kube-apiserver; defaults to $"+harness.EnvAssets+" (hack/control-plane.sh prints it).")
	fs.Float64Var(&o.Size, "size", o.Size, "Scale of the cluster: 1 is benchmark 1's cluster (5000 nodes, 50 000 pods, 20 000 PV/PVC pairs, about 100 000 objects).")
	fs.IntVar(&o.Workers, "workers", o.Workers, "Clients creating objects in parallel.")
	fs.Float32Var(&o.QPS, "qps", o.QPS, "Requests per second of the creating clients together.")
	fs.IntVar(&o.Burst, "burst", o.Burst, "Burst of the creating clients together.")
	fs.StringVar(&o.Volplace, "volplace", o.Volplace, "volplace binary to measure (e.g. bin/volplace from make build); empty builds ./cmd/volplace into a temporary directory.")
	fs.DurationVar(&o.SyncTimeout, "sync-timeout", o.SyncTimeout, "How long volplace may take to report ready.")
	fs.DurationVar(&o.Settle, "settle", o.Settle, "How long to wait after volplace is ready before measuring; over 2m includes the Go runtime's periodic forced GC.")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "Output format: table or json.")
	fs.StringVar(&o.HeapProfiles, "heap-profiles", o.HeapProfiles, "Directory to save volplace's heap profile into after each measurement (go tool pprof reads them); empty saves none.")
	fs.StringSliceVar(&o.GoMemLimits, "gomemlimit", o.GoMemLimits, "GOMEMLIMIT values to run volplace with, one measurement each against the same cluster (e.g. ,230MiB: unset, then 230 MiB).")
}

// Validate checks the flags.
func (o *Options) Validate() []error {
	var errs []error
	if o.Assets == "" {
		errs = append(errs, fmt.Errorf("--assets or $%s must name the directory with etcd and kube-apiserver: %s=\"$(hack/control-plane.sh)\"", harness.EnvAssets, harness.EnvAssets))
	}
	if o.Size <= 0 {
		errs = append(errs, fmt.Errorf("--size must be positive, not %g", o.Size))
	}
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("--workers must be at least 1, not %d", o.Workers))
	}
	if o.QPS <= 0 || o.Burst < 1 {
		errs = append(errs, fmt.Errorf("--qps and --burst must be positive, not %g and %d", o.QPS, o.Burst))
	}
	if o.SyncTimeout <= 0 || o.Settle < 0 {
		errs = append(errs, fmt.Errorf("--sync-timeout must be positive and --settle not negative, not %s and %s", o.SyncTimeout, o.Settle))
	}
	if o.Output != outputTable && o.Output != outputJSON {
		errs = append(errs, fmt.Errorf("--output must be %s or %s, not %q", outputTable, outputJSON, o.Output))
	}
	if len(o.GoMemLimits) == 0 {
		errs = append(errs, errors.New("--gomemlimit needs at least one value (an empty one leaves GOMEMLIMIT unset)"))
	}
	return errs
}

// newCommand returns the memory command; it fails when the run fails or
// volplace's caches do not hold the cluster.
func newCommand() *cobra.Command {
	o := NewOptions()
	cmd := &cobra.Command{
		Use:          "memory",
		Short:        "Measure volplace's memory after it syncs benchmark 1's cluster from kube-apiserver",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
	}
	o.AddFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := errors.Join(o.Validate()...); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(klog.NewContext(cmd.Context(), klog.Background()), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		ctrllog.SetLogger(klog.Background())
		report, err := Run(ctx, o)
		if err == nil {
			err = report.Write(cmd.OutOrStdout(), o.Output)
		}
		for _, run := range report.Runs {
			if err == nil && !run.Cache.OK() {
				err = errors.New("volplace's caches do not hold the cluster (see the cache check)")
			}
		}
		return err
	}
	return cmd
}
