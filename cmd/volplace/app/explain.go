package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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
	Kubeconfig string
	Context    string
	Namespace  string
	ConfigFile string
	Output     string
	Timeout    time.Duration
}

// NewExplainOptions returns the defaults.
func NewExplainOptions() *ExplainOptions {
	return &ExplainOptions{Output: "table", Timeout: 2 * time.Minute}
}

// AddFlags registers the flags, named as kubectl names them so that the
// binary works as the kubectl plugin `kubectl volplace`.
func (o *ExplainOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to the kubeconfig file. Default: $KUBECONFIG, then ~/.kube/config.")
	fs.StringVar(&o.Context, "context", o.Context, "The kubeconfig context to use.")
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "Namespace of the pod when it is given as NAME. Default: the context's namespace.")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "VolplaceConfiguration file whose rule switches and weights to apply, as volplace serve --config does.")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "Output format: table or json.")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the cluster's objects to be listed.")
}

// Validate checks the flags.
func (o *ExplainOptions) Validate() []error {
	var errs []error
	if o.Output != "table" && o.Output != "json" {
		errs = append(errs, fmt.Errorf("--output must be table or json, not %q", o.Output))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout must be positive, not %s", o.Timeout))
	}
	return errs
}

func newExplainCommand() *cobra.Command {
	o := NewExplainOptions()
	cmd := &cobra.Command{
		Use:   "explain [NAMESPACE/]NAME",
		Short: "Explain, for a pod of a live cluster, on which nodes its volumes fit and why not",
		Long: `explain reads the cluster's storage objects, as volplace serve caches them, and
prints the simulate table for one pod: per node whether the pod's volumes fit,
the score, and the reasons. Installed as kubectl-volplace, it also runs as
"kubectl volplace explain NAME -n NAMESPACE".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			namespace := o.Namespace
			if namespace == "" {
				if namespace, _, err = loader.Namespace(); err != nil {
					return fmt.Errorf("reading the context's namespace: %w", err)
				}
			}
			ns, name := namespace, args[0]
			if before, after, ok := strings.Cut(args[0], "/"); ok {
				ns, name = before, after
			}
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
	if o.Output == "json" {
		return simulate.WriteJSON(out, []*simulate.PodReport{report})
	}
	return simulate.WriteTable(out, []*simulate.PodReport{report})
}
