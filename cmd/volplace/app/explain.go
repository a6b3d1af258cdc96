package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/cmd/volplace/app/simulate"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// ExplainOptions are the flags of `volplace explain`.
type ExplainOptions struct {
	ReportOptions
	Kubeconfig string
	Context    string
	Timeout    time.Duration
}

// NewExplainOptions returns the defaults.
func NewExplainOptions() *ExplainOptions {
	return &ExplainOptions{ReportOptions: ReportOptions{Output: "table"}, Timeout: 2 * time.Minute}
}

// AddFlags registers the flags, named as kubectl names them so that the
// binary works as the kubectl plugin `kubectl volplace`.
func (o *ExplainOptions) AddFlags(fs *pflag.FlagSet) {
	o.ReportOptions.AddFlags(fs, "Namespace of the pod when it is given as NAME. Default: the context's namespace.", false)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to the kubeconfig file. Default: $KUBECONFIG, then ~/.kube/config.")
	fs.StringVar(&o.Context, "context", o.Context, "The kubeconfig context to use.")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the cluster's objects to be listed.")
}

// Validate checks the flags.
func (o *ExplainOptions) Validate() []error {
	errs := o.ReportOptions.Validate()
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout must be positive, not %s", o.Timeout))
	}
	return errs
}

func newExplainCommand() *cobra.Command {
	o := NewExplainOptions()
	cmd := &cobra.Command{
		Use:   "explain [NAMESPACE/]NAME | --pod [NAMESPACE/]NAME",
		Short: "Explain, for a pod of a live cluster, on which nodes its volumes fit and why not",
		Long: `explain reads the cluster's storage objects, as volplace serve caches them, and
prints the simulate table for one pod: per node whether the pod's volumes fit,
the score, and the reasons. Installed as kubectl-volplace, it also runs as
"kubectl volplace explain NAME -n NAMESPACE".`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if o.Pod != "" && o.Pod != args[0] {
					return fmt.Errorf("the pod is named twice: %s and --pod %s", args[0], o.Pod)
				}
				o.Pod = args[0]
			}
			if o.Pod == "" {
				return errors.New("name the pod: explain [NAMESPACE/]NAME, or --pod")
			}
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.Kubeconfig, Precedence: clientcmd.NewDefaultClientConfigLoadingRules().Precedence},
				&clientcmd.ConfigOverrides{CurrentContext: o.Context})
			cfg, err := loader.ClientConfig()
			if err != nil {
				return fmt.Errorf("loading kubeconfig: %w", err)
			}
			contextNamespace, _, err := loader.Namespace()
			if err != nil {
				return fmt.Errorf("reading the context's namespace: %w", err)
			}
			ns, name := o.pod(contextNamespace)
			return o.Run(cmd.Context(), cmd.OutOrStdout(), cfg, ns, name)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// Run lists the cluster's objects into informer caches, evaluates the pod
// and writes the report.
func (o *ExplainOptions) Run(ctx context.Context, out io.Writer, cfg *rest.Config, namespace, name string) error {
	conf, err := config.Load(o.ConfigFile)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	pod, err := client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading pod %s/%s: %w", namespace, name, err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(store.CacheTransform))
	snap, err := store.New(factory)
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer func() {
		cancel() // stop the informers before waiting for them
		factory.Shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), snap.Synced()...) {
		return fmt.Errorf("listing the cluster's objects: %w", ctx.Err())
	}
	report := simulate.Evaluate(topology.NewEvaluator(snap, conf.TopologyOptions()), pod)
	return simulate.Write(out, o.Output, []*simulate.PodReport{report}, o.view())
}
