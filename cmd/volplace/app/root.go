// Package app holds volplace's commands.
package app

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/version/verflag"
)

// NewCommand returns the volplace root command with its subcommands.
func NewCommand() *cobra.Command {
	logging := logsapi.NewLoggingConfiguration()
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
		PersistentPreRunE: func(*cobra.Command, []string) error {
			verflag.PrintAndExitIfRequested()
			return logsapi.ValidateAndApply(logging, nil)
		},
	}
	fs := cmd.PersistentFlags()
	logsapi.AddFlags(logging, fs)
	verflag.AddFlags(fs)
	cmd.AddCommand(newSimulateCommand(), newServeCommand(), newExplainCommand(), newCertsCommand(), newConfigCommand())
	return cmd
}
