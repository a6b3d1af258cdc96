package app

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/volplace/volplace/cmd/volplace/app/simulate"
	"github.com/volplace/volplace/topology"
)

// SimulateOptions are the flags of `volplace simulate`.
type SimulateOptions struct {
	Files  []string
	Pod    string
	Output string
}

// NewSimulateOptions returns the defaults.
func NewSimulateOptions() *SimulateOptions { return &SimulateOptions{Output: "table"} }

// AddFlags registers the flags.
func (o *SimulateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.Files, "filename", "f", nil, "File of cluster objects in YAML or JSON (several documents, or a List as `kubectl get -o yaml` writes); repeat for several files, - reads standard input.")
	fs.StringVar(&o.Pod, "pod", "", "Evaluate only this pod, as NAMESPACE/NAME, even if it already has a node. By default every pending pod is evaluated.")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "Output format: table or json.")
}

// Validate checks the flags.
func (o *SimulateOptions) Validate() []error {
	var errs []error
	if len(o.Files) == 0 {
		errs = append(errs, errors.New("at least one -f FILE is required"))
	}
	if o.Output != "table" && o.Output != "json" {
		errs = append(errs, fmt.Errorf("--output must be table or json, not %q", o.Output))
	}
	if o.Pod != "" {
		if ns, name, ok := strings.Cut(o.Pod, "/"); !ok || ns == "" || name == "" {
			errs = append(errs, fmt.Errorf("--pod must be NAMESPACE/NAME, not %q", o.Pod))
		}
	}
	return errs
}

func newSimulateCommand() *cobra.Command {
	o := NewSimulateOptions()
	cmd := &cobra.Command{
		Use:   "simulate -f FILE [-f FILE...] [--pod NAMESPACE/NAME] [-o table|json]",
		Short: "Explain offline, per pending pod and node, whether the pod's volumes fit and why not",
		Long: `simulate reads cluster objects from files (for example the output of
kubectl get nodes,csinodes,csidrivers,pv,pvc,storageclasses,csistoragecapacities,pods,volumeattachments -A -o yaml)
and evaluates every pending pod against every node with volplace's rules. Pods
that have a node and have not finished are the cluster's current state: they
hold volumes, attach slots and ReadWriteOncePod claims. No cluster is needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			return o.Run(cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// Run loads the files, evaluates the pods and writes the report to out;
// notes about skipped documents go to notes.
func (o *SimulateOptions) Run(out, notes io.Writer) error {
	objs, err := simulate.NewLoader(notes).LoadFiles(o.Files)
	if err != nil {
		return err
	}
	snap, err := topology.NewStaticSnapshot(objs...)
	if err != nil {
		return err
	}
	ns, name, _ := strings.Cut(o.Pod, "/")
	pods, err := simulate.PendingPods(snap, ns, name)
	if err != nil {
		return err
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions()).WithDetails()
	reports := make([]*simulate.PodReport, 0, len(pods))
	for _, pod := range pods {
		reports = append(reports, simulate.Evaluate(ev, pod))
	}
	if o.Output == "json" {
		return simulate.WriteJSON(out, reports)
	}
	return simulate.WriteTable(out, reports)
}
