package app

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/cmd/volplace/app/simulate"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// SimulateOptions are the flags of `volplace simulate`.
type SimulateOptions struct {
	Files  []string
	Pod    string
	Output string
	// Plan places the pending pods one after another instead of each
	// alone.
	Plan bool
	// Replicas overrides the replica count of the workloads in the files.
	Replicas int
	// ConfigFile is a VolplaceConfiguration whose rules and weights apply.
	ConfigFile string
}

// NewSimulateOptions returns the defaults.
func NewSimulateOptions() *SimulateOptions { return &SimulateOptions{Output: "table"} }

// AddFlags registers the flags.
func (o *SimulateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.Files, "filename", "f", nil, "File of cluster objects in YAML or JSON (several documents, or a List as kubectl get -o yaml writes); repeat for several files, - reads standard input.")
	fs.StringVar(&o.Pod, "pod", "", "Evaluate only this pod, as NAMESPACE/NAME, even if it already has a node. By default every pending pod is evaluated.")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "Output format: table or json.")
	fs.BoolVar(&o.Plan, "plan", false, "Place the pending pods one after another in kube-scheduler's queue order (priority, then creation), each taking the capacity, attach slots and volumes of its node, and print where each lands or why it cannot.")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "VolplaceConfiguration file whose rule switches and weights to apply, as the serve command's --config does.")
	fs.IntVar(&o.Replicas, "replicas", 0, "Expand every StatefulSet, Deployment and Job in the files to this many pods (with their claims) instead of the workload's own replica count.")
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
	if o.Replicas < 0 || o.Replicas > simulate.MaxReplicas {
		errs = append(errs, fmt.Errorf("--replicas must be between 0 and %d, not %d", simulate.MaxReplicas, o.Replicas))
	}
	if o.Plan && o.Pod != "" {
		errs = append(errs, errors.New("--plan places every pending pod; it does not take --pod"))
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
		Use:   "simulate -f FILE [-f FILE...] [--pod NAMESPACE/NAME | --plan [--replicas N]] [-o table|json]",
		Short: "Explain offline, per pending pod and node, whether the pod's volumes fit and why not",
		Long: `simulate reads cluster objects from files (for example the output of
kubectl get nodes,csinodes,csidrivers,pv,pvc,storageclasses,csistoragecapacities,pods,volumeattachments -A -o yaml)
and evaluates every pending pod against every node with volplace's rules. Pods
that have a node and have not finished are the cluster's current state: they
hold volumes, attach slots and ReadWriteOncePod claims. No cluster is needed.

StatefulSets, Deployments and Jobs in the files are expanded into the pods
and claims their controllers would create (--replicas sets how many), so that
a workload can be tried before it exists. With --plan the pending pods are
placed one after another, as kube-scheduler would, and each placement takes
what it uses from the next: will 12 replicas fit, and where?`,
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
	if err := checkRead(objs, o.Files, notes); err != nil {
		return err
	}
	objs, err = simulate.ExpandWorkloads(objs, o.Replicas, time.Now())
	if err != nil {
		return err
	}
	conf, err := config.Load(o.ConfigFile)
	if err != nil {
		return err
	}
	opts := conf.TopologyOptions()
	if o.Plan {
		plan, err := simulate.Plan(objs, opts, time.Now())
		if err != nil {
			return err
		}
		if o.Output == "json" {
			return simulate.WritePlanJSON(out, plan)
		}
		return simulate.WritePlanTable(out, plan)
	}
	snap, err := store.NewStatic(objs...)
	if err != nil {
		return err
	}
	ns, name, _ := strings.Cut(o.Pod, "/")
	pods, err := simulate.PendingPods(snap, ns, name)
	if err != nil {
		return err
	}
	ev := topology.NewEvaluator(snap, opts)
	reports := make([]*simulate.PodReport, 0, len(pods))
	for _, pod := range pods {
		reports = append(reports, simulate.Evaluate(ev, pod))
	}
	if o.Output == "json" {
		return simulate.WriteJSON(out, reports)
	}
	return simulate.WriteTable(out, reports)
}

// checkRead says when the files gave nothing to simulate: no object volplace
// reads is an error (an empty file, or the wrong one), no Node a note, since
// every pod then fits nowhere.
func checkRead(objs []runtime.Object, files []string, notes io.Writer) error {
	if len(objs) == 0 {
		return fmt.Errorf("no object volplace reads in %s: it reads Nodes, CSINodes, CSIDrivers, PersistentVolumes, PersistentVolumeClaims, StorageClasses, CSIStorageCapacities, Pods, VolumeAttachments, StatefulSets, Deployments and Jobs", strings.Join(files, ", "))
	}
	if !slices.ContainsFunc(objs, func(o runtime.Object) bool { _, ok := o.(*corev1.Node); return ok }) {
		_, _ = fmt.Fprintf(notes, "note: no Node in %s: no pod fits anywhere\n", strings.Join(files, ", "))
	}
	return nil
}
