// Package app holds volplace's commands.
package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	logsapi "k8s.io/component-base/logs/api/v1"
)

// NewCommand returns the volplace root command with its subcommands.
func NewCommand() *cobra.Command {
	logging := logsapi.NewLoggingConfiguration()
	showVersion := false
	use := "volplace"
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		use = "kubectl volplace" // installed as a kubectl plugin
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: "Storage-aware placement and admission for Kubernetes",
		Long: `volplace filters and scores nodes for pods by their volumes (a kube-scheduler
extender), checks and defaults PersistentVolumeClaims, StorageClasses and Pods
(an admission webhook), and explains offline why a pod's volumes fit a node or not.`,
		SilenceUsage:  true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				printVersion(cmd.OutOrStdout())
				os.Exit(0)
			}
			return logsapi.ValidateAndApply(logging, nil)
		},
	}
	fs := cmd.PersistentFlags()
	logsapi.AddFlags(logging, fs)
	fs.BoolVar(&showVersion, "version", false, "Print volplace's version, VCS revision and Go version, and exit.")
	cmd.AddCommand(newSimulateCommand(), newServeCommand(), newExplainCommand(), newCertsCommand(), newConfigCommand())
	return cmd
}

// Run runs the volplace command and returns its exit code. As kubectl and
// its plugins do, a failure goes to standard error as "Error: ..." with
// exit code 1, not as a log line: simulate, explain and the other offline
// commands print results, not a log.
func Run(cmd *cobra.Command) int {
	if err := cli.RunNoErrOutput(cmd); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "Error: %v\n", err)
		return 1
	}
	return 0
}
