package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/volplace/volplace/test/internal/harness"
)

func newCommand() *cobra.Command {
	logging := logsapi.NewLoggingConfiguration()
	o := NewOptions()
	cmd := &cobra.Command{
		Use:           "throughput",
		Short:         "Measure kube-scheduler's throughput with no extender, a no-op extender and volplace",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return logsapi.ValidateAndApply(logging, nil)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Assets == "" {
				o.Assets = os.Getenv(harness.EnvAssets)
			}
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return Run(klog.NewContext(ctx, klog.Background()), o, cmd.OutOrStdout())
		},
	}
	logsapi.AddFlags(logging, cmd.PersistentFlags())
	o.AddFlags(cmd.Flags())
	cmd.AddCommand(newNoopCommand())
	return cmd
}

// Run runs every variant o.Rounds times and writes the report to out.
func Run(ctx context.Context, o *Options, out io.Writer) error {
	logger := klog.FromContext(ctx)
	// envtest logs through controller-runtime's logger.
	ctrllog.SetLogger(logger)
	if err := checkAssets(o.Assets); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program for the no-op extender: %w", err)
	}
	bins := binaries{Volplace: o.VolplaceBinary, Self: self, Assets: o.Assets, Scheduler: o.SchedulerBinary}
	variants := o.variants()
	if bins.Scheduler == "" && slices.ContainsFunc(variants, func(v Variant) bool { return v.Plugin }) {
		if bins.Scheduler, err = buildScheduler(ctx); err != nil {
			return err
		}
	}
	if bins.Volplace == "" && usesVolplace(variants) {
		dir, err := os.MkdirTemp("", "throughput-build-")
		if err != nil {
			return fmt.Errorf("creating a directory for volplace: %w", err)
		}
		defer func() { _ = os.RemoveAll(dir) }()
		if bins.Volplace, err = buildVolplace(ctx, dir); err != nil {
			return err
		}
	}
	r := &runner{opts: o, bins: bins}
	var results []Result
	for round := range o.Rounds {
		for i := range variants {
			// Rotate the order so that no variant always runs first.
			v := variants[(i+round)%len(variants)]
			res, err := r.Run(ctx, v, round+1)
			if err != nil {
				return fmt.Errorf("variant %s, round %d: %w", v, round+1, err)
			}
			logger.Info("Run done", "variant", res.Variant, "round", res.Round, "bound", res.Bound,
				"podsPerSecond", fmt.Sprintf("%.1f", res.PodsPerSecond), "window", res.Window, "wall", res.Wall, "filterCalls", res.FilterCalls)
			results = append(results, res)
		}
	}
	return newReport(o, variants, results).Write(out, o.Output)
}

func usesVolplace(variants []Variant) bool {
	for _, v := range variants {
		if v.Extender == ExtenderVolplace {
			return true
		}
	}
	return false
}

// moduleRoot returns the root of the module holding the working directory;
// flag names the flag that replaces a build.
func moduleRoot(ctx context.Context, flag string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module (go env GOMOD): %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", fmt.Errorf("not inside the volplace module: run from the repository or pass %s", flag)
	}
	return root, nil
}

// buildScheduler builds volplace-scheduler (a nested module) with
// hack/volplace-scheduler.sh, which prints its path.
func buildScheduler(ctx context.Context) (string, error) {
	root, err := moduleRoot(ctx, "--volplace-scheduler-binary")
	if err != nil {
		return "", err
	}
	klog.FromContext(ctx).Info("Building volplace-scheduler", "module", root)
	build := exec.CommandContext(ctx, filepath.Join(root, "hack", "volplace-scheduler.sh"))
	build.Dir = root
	build.Stderr = os.Stderr
	out, err := build.Output()
	if err != nil {
		return "", fmt.Errorf("building volplace-scheduler (hack/volplace-scheduler.sh): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildVolplace builds ./cmd/volplace of the module holding the working
// directory into dir.
func buildVolplace(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx, "--volplace-binary")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "volplace")
	klog.FromContext(ctx).Info("Building volplace", "module", root)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/volplace")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building volplace: %w\n%s", err, out)
	}
	return bin, nil
}
