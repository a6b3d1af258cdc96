package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/volplace/volplace/cmd/volplace/app/simulate"
)

// ReportOptions are the flags simulate and explain share: which pod, which
// rules, and how to show the result.
type ReportOptions struct {
	Namespace string
	// Pod is NAME or NAMESPACE/NAME.
	Pod string
	// ConfigFile is a VolplaceConfiguration whose rules and weights apply.
	ConfigFile  string
	Output      string
	OnlyFailing bool
	Summary     bool
}

// AddFlags registers the flags; namespace is the usage of -n, which
// differs between an offline dump and a live cluster, and plan tells
// whether the command has --plan.
func (o *ReportOptions) AddFlags(fs *pflag.FlagSet, namespace string, plan bool) {
	onlyFailing, summary := "Show only the nodes where the pod does not fit", "Show only the summary of each pod, the line kube-scheduler writes in its FailedScheduling event"
	if plan {
		onlyFailing += " (with --plan, only the pods that do not fit)"
		summary += " (with --plan, the plan's last line)"
	}
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, namespace)
	fs.StringVar(&o.Pod, "pod", o.Pod, "The pod to evaluate, as NAME (in the namespace of -n) or NAMESPACE/NAME.")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "VolplaceConfiguration file whose rule switches and weights to apply, as volplace serve --config does.")
	fs.StringVarP(&o.Output, "output", "o", "table", "Output format: "+strings.Join(simulate.Formats, ", ")+". wide adds reason codes and whether preemption can help; json and yaml carry everything wide shows.")
	fs.BoolVar(&o.OnlyFailing, "only-failing", o.OnlyFailing, onlyFailing+".")
	fs.BoolVar(&o.Summary, "summary", o.Summary, summary+".")
}

// Validate checks the flags.
func (o *ReportOptions) Validate() []error {
	var errs []error
	if !slices.Contains(simulate.Formats, o.Output) {
		errs = append(errs, fmt.Errorf("--output must be one of %s, not %q", strings.Join(simulate.Formats, ", "), o.Output))
	}
	if o.OnlyFailing && o.Summary {
		errs = append(errs, fmt.Errorf("--only-failing and --summary exclude each other: --summary shows no node"))
	}
	if o.Pod != "" {
		ns, name, qualified := strings.Cut(o.Pod, "/")
		switch {
		case qualified && (ns == "" || name == "" || strings.Contains(name, "/")):
			errs = append(errs, fmt.Errorf("--pod must be NAME or NAMESPACE/NAME, not %q", o.Pod))
		case qualified && o.Namespace != "" && ns != o.Namespace:
			errs = append(errs, fmt.Errorf("--pod %s names namespace %s, but -n gives %s", o.Pod, ns, o.Namespace))
		}
	}
	return errs
}

// pod returns the pod's namespace and name; a NAME without -n is in
// defaultNamespace.
func (o *ReportOptions) pod(defaultNamespace string) (namespace, name string) {
	if ns, name, ok := strings.Cut(o.Pod, "/"); ok {
		return ns, name
	}
	if o.Namespace != "" {
		return o.Namespace, o.Pod
	}
	return defaultNamespace, o.Pod
}

func (o *ReportOptions) view() simulate.View {
	return simulate.View{OnlyFailing: o.OnlyFailing, SummaryOnly: o.Summary}
}
