package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/cmd/volplace/app/simulate"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// SimulateOptions are the flags of `volplace simulate`.
type SimulateOptions struct {
	ReportOptions
	Files []string
	// Plan places the pending pods one after another instead of each
	// alone.
	Plan bool
	// Replicas overrides the replica count of the workloads in the files.
	Replicas int
	// MaxFileSize bounds each file read.
	MaxFileSize resource.Quantity
}

// NewSimulateOptions returns the defaults.
func NewSimulateOptions() *SimulateOptions {
	return &SimulateOptions{
		ReportOptions: ReportOptions{Output: "table"},
		MaxFileSize:   *resource.NewQuantity(simulate.DefaultMaxFileSize, resource.BinarySI),
	}
}

// AddFlags registers the flags.
func (o *SimulateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.Files, "filename", "f", nil, "File of cluster objects in YAML or JSON (several documents, or a List as kubectl get -o yaml writes); repeat for several files, - reads standard input.")
	o.ReportOptions.AddFlags(fs, "Evaluate only the pending pods of this namespace, and look --pod NAME up in it (default \"default\" with --pod). By default every namespace's pending pods are evaluated.", true)
	fs.BoolVar(&o.Plan, "plan", false, "Place the pending pods one after another in kube-scheduler's queue order (priority, then creation), each taking the capacity, attach slots and volumes of its node, and print where each lands or why it cannot.")
	fs.IntVar(&o.Replicas, "replicas", 0, "Expand every StatefulSet, Deployment and Job in the files to this many pods (with their claims) instead of the workload's own replica count.")
	fs.Var(&quantityValue{&o.MaxFileSize}, "max-file-size", "Largest file to read, as a quantity (512Mi, 2Gi).")
}

// Validate checks the flags.
func (o *SimulateOptions) Validate() []error {
	errs := o.ReportOptions.Validate()
	if len(o.Files) == 0 {
		errs = append(errs, errors.New("at least one -f FILE is required"))
	}
	if o.Replicas < 0 || o.Replicas > simulate.MaxReplicas {
		errs = append(errs, fmt.Errorf("--replicas must be between 0 and %d, not %d", simulate.MaxReplicas, o.Replicas))
	}
	if o.Plan && (o.Pod != "" || o.Namespace != "") {
		errs = append(errs, errors.New("--plan places every pending pod; it does not take --pod or --namespace"))
	}
	if o.MaxFileSize.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("--max-file-size must be positive, not %s", o.MaxFileSize.String()))
	}
	return errs
}

func newSimulateCommand() *cobra.Command {
	o := NewSimulateOptions()
	cmd := &cobra.Command{
		Use:   "simulate -f FILE [-f FILE...] [--pod [NAMESPACE/]NAME | --plan [--replicas N]] [-o table|wide|json|yaml]",
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
// notes about skipped documents, and the progress of a long run on a
// terminal, go to notes.
func (o *SimulateOptions) Run(out, notes io.Writer) error {
	progress := newProgress(notes)
	defer progress.Done()
	loader := simulate.NewLoader(notes)
	loader.MaxFileSize, loader.LimitFlag, loader.Progress = o.MaxFileSize.Value(), "--max-file-size", progress
	objs, err := loader.LoadFiles(o.Files)
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
		plan, err := simulate.Plan(objs, opts, time.Now(), progress)
		if err != nil {
			return err
		}
		progress.Done()
		return simulate.WritePlan(out, o.Output, plan, o.view())
	}
	snap, err := store.NewStatic(objs...)
	if err != nil {
		return err
	}
	ns, name := o.Namespace, ""
	if o.Pod != "" {
		ns, name = o.pod("default")
	}
	pods, err := simulate.PendingPods(snap, ns, name)
	if err != nil {
		return err
	}
	ev := topology.NewEvaluator(snap, opts)
	reports := make([]*simulate.PodReport, 0, len(pods))
	for i, pod := range pods {
		progress.Update("evaluating pod %d of %d: %s/%s", i+1, len(pods), pod.Namespace, pod.Name)
		reports = append(reports, simulate.Evaluate(ev, pod))
	}
	progress.Done()
	return simulate.Write(out, o.Output, reports, o.view())
}

// newProgress returns a Progress on w when w is a terminal, else nil (no
// progress in pipes, files and tests).
func newProgress(w io.Writer) *simulate.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return simulate.NewProgress(w, time.Now)
}

// quantityValue is a pflag.Value for a resource.Quantity.
type quantityValue struct{ q *resource.Quantity }

func (v *quantityValue) String() string { return v.q.String() }
func (v *quantityValue) Type() string   { return "quantity" }
func (v *quantityValue) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("not a quantity (such as 512Mi): %w", err)
	}
	*v.q = q
	return nil
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
