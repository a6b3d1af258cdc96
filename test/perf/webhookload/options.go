package main

import (
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// Options are the flags of webhookload.
type Options struct {
	// Rate is the requests per second sent to each server.
	Rate float64
	// Duration is how long the measured load lasts, after Warmup.
	Duration time.Duration
	// Warmup is sent at the same rate before the measurement and not counted.
	Warmup time.Duration
	// Timeout bounds one request, as a webhook's timeoutSeconds does.
	Timeout time.Duration
	// Size scales the cluster in the webhooks' cache: 1 is
	// topology/testing.BenchmarkSize (5000 nodes, 50 000 pods, 20 000
	// claims), to which the run adds free claims and StorageClasses.
	Size float64
	// Output is "table" or "json".
	Output string
}

// NewOptions returns the defaults of the benchmark: 500 req/s for
// 60 s over benchmark 1's cluster.
func NewOptions() *Options {
	return &Options{
		Rate:     500,
		Duration: 60 * time.Second,
		Warmup:   5 * time.Second,
		Timeout:  10 * time.Second,
		Size:     1,
		Output:   outputTable,
	}
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.Float64Var(&o.Rate, "rate", o.Rate, "Requests per second sent to each server (volplace and the no-op baseline), open-loop.")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "How long the measured load lasts.")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "Load at the same rate before the measurement, not counted (connections, caches, GC pacing).")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "Timeout of one request, like a webhook configuration's timeoutSeconds (kube-apiserver's default is 10s).")
	fs.Float64Var(&o.Size, "size", o.Size, "Scale of the cluster in the webhooks' cache: 1 is benchmark 1's cluster (5000 nodes, 50 000 pods, 20 000 claims).")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "Output format: table or json.")
}

// Validate checks the flags.
func (o *Options) Validate() []error {
	var errs []error
	if o.Rate <= 0 {
		errs = append(errs, fmt.Errorf("--rate must be positive, not %g", o.Rate))
	}
	if o.Duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration must be positive, not %s", o.Duration))
	}
	if o.Warmup < 0 {
		errs = append(errs, fmt.Errorf("--warmup must not be negative, not %s", o.Warmup))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout must be positive, not %s", o.Timeout))
	}
	if o.Size <= 0 {
		errs = append(errs, fmt.Errorf("--size must be positive, not %g", o.Size))
	}
	if o.Output != outputTable && o.Output != outputJSON {
		errs = append(errs, fmt.Errorf("--output must be %s or %s, not %q", outputTable, outputJSON, o.Output))
	}
	return errs
}

// newCommand returns the webhookload command; it fails when the run fails
// or an answer was not the expected one.
func newCommand() *cobra.Command {
	o := NewOptions()
	cmd := &cobra.Command{
		Use:          "webhookload",
		Short:        "Measure volplace's PVC admission webhooks over TLS at a fixed rate, next to a no-op webhook",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctrllog.SetLogger(klog.Background())
			report, err := Run(ctx, o)
			if err != nil {
				return err
			}
			if err := report.Write(cmd.OutOrStdout(), o.Output); err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			if n := report.TotalErrors(); n > 0 {
				return fmt.Errorf("%d requests failed or got a wrong answer", n)
			}
			return nil
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
