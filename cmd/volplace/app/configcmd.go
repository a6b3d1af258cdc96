package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	componentbaseconfigv1alpha1 "k8s.io/component-base/config/v1alpha1"
	schedulerconfigv1 "k8s.io/kube-scheduler/config/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/webhook"
)

// SecondarySchedulerName is the profile name of the secondary scheduler.
const SecondarySchedulerName = "volplace-scheduler"

// SchedulerConfigOptions are the flags of `volplace config scheduler`.
type SchedulerConfigOptions struct {
	URL              string
	TLSCAFile        string
	TLSCertFile      string
	TLSKeyFile       string
	Secondary        bool
	Kubeconfig       string
	HTTPTimeout      time.Duration
	Ignorable        bool
	ManagedResources bool
	Weight           int64
}

// NewSchedulerConfigOptions returns the defaults.
func NewSchedulerConfigOptions() *SchedulerConfigOptions {
	return &SchedulerConfigOptions{HTTPTimeout: 2 * time.Second, Ignorable: true, Weight: 1}
}

// AddFlags registers the flags.
func (o *SchedulerConfigOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.URL, "url", o.URL, "volplace's extender URL, e.g. http://volplace.volplace-system.svc:8888 (https with --tls-ca).")
	fs.StringVar(&o.TLSCAFile, "tls-ca", o.TLSCAFile, "CA bundle that signed volplace's extender certificate; embedded as tlsConfig.caData. Required for https: without a CA kube-scheduler skips verification.")
	fs.StringVar(&o.TLSCertFile, "tls-client-cert-file", o.TLSCertFile, "Path, on the scheduler's host, of a client certificate kube-scheduler presents (for --extender-client-ca-file).")
	fs.StringVar(&o.TLSKeyFile, "tls-client-key-file", o.TLSKeyFile, "Path of the client certificate's key.")
	fs.BoolVar(&o.Secondary, "secondary", o.Secondary, "Write the configuration of a secondary scheduler (profile "+SecondarySchedulerName+", in-cluster credentials, its own leader-election lease) instead of the default scheduler's.")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "clientConnection.kubeconfig; default /etc/kubernetes/scheduler.conf, or in-cluster with --secondary.")
	fs.DurationVar(&o.HTTPTimeout, "http-timeout", o.HTTPTimeout, "httpTimeout of the extender calls.")
	fs.BoolVar(&o.Ignorable, "ignorable", o.Ignorable, "Schedule without volplace when it is unreachable (see docs/extender.md).")
	fs.BoolVar(&o.ManagedResources, "managed-resources", o.ManagedResources, "Call volplace only for pods that request "+webhook.StorageResource+" (set by the pod webhook with webhook.extenderResource: true).")
	fs.Int64Var(&o.Weight, "weight", o.Weight, "Weight of volplace's scores.")
}

// Validate checks the flags.
func (o *SchedulerConfigOptions) Validate() []error {
	var errs []error
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		errs = append(errs, errors.New("--url is required"))
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		errs = append(errs, fmt.Errorf("--url must be an http or https URL, not %q", o.URL))
	case u.Scheme == "https" && o.TLSCAFile == "":
		errs = append(errs, errors.New("an https --url needs --tls-ca: without a CA kube-scheduler silently skips certificate verification"))
	case u.Scheme == "http" && o.TLSCAFile != "":
		errs = append(errs, errors.New("--tls-ca needs an https --url"))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-client-cert-file and --tls-client-key-file go together"))
	}
	if o.HTTPTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--http-timeout must be positive, not %s", o.HTTPTimeout))
	}
	if o.Weight <= 0 {
		errs = append(errs, fmt.Errorf("--weight must be positive, not %d", o.Weight))
	}
	return errs
}

// Build returns the KubeSchedulerConfiguration.
func (o *SchedulerConfigOptions) Build() (*schedulerconfigv1.KubeSchedulerConfiguration, error) {
	ext := schedulerconfigv1.Extender{
		URLPrefix:        o.URL,
		FilterVerb:       extender.FilterPath[1:],
		PrioritizeVerb:   extender.PrioritizePath[1:],
		Weight:           o.Weight,
		NodeCacheCapable: true,
		HTTPTimeout:      metav1.Duration{Duration: o.HTTPTimeout},
		Ignorable:        o.Ignorable,
	}
	if o.TLSCAFile != "" {
		ca, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		ext.EnableHTTPS = true
		ext.TLSConfig = &schedulerconfigv1.ExtenderTLSConfig{CAData: ca, CertFile: o.TLSCertFile, KeyFile: o.TLSKeyFile}
	}
	if o.ManagedResources {
		ext.ManagedResources = []schedulerconfigv1.ExtenderManagedResource{{Name: webhook.StorageResource, IgnoredByScheduler: true}}
	}
	cfg := &schedulerconfigv1.KubeSchedulerConfiguration{
		TypeMeta:       metav1.TypeMeta{APIVersion: schedulerconfigv1.SchemeGroupVersion.String(), Kind: "KubeSchedulerConfiguration"},
		Extenders:      []schedulerconfigv1.Extender{ext},
		LeaderElection: componentbaseconfigv1alpha1.LeaderElectionConfiguration{LeaderElect: ptr.To(true)},
	}
	cfg.ClientConnection.Kubeconfig = o.Kubeconfig
	if o.Secondary {
		cfg.Profiles = []schedulerconfigv1.KubeSchedulerProfile{{SchedulerName: ptr.To(SecondarySchedulerName)}}
		cfg.LeaderElection.ResourceName = SecondarySchedulerName
		cfg.LeaderElection.ResourceNamespace = "volplace-system"
	} else {
		cfg.Profiles = []schedulerconfigv1.KubeSchedulerProfile{{SchedulerName: ptr.To("default-scheduler")}}
		if cfg.ClientConnection.Kubeconfig == "" {
			cfg.ClientConnection.Kubeconfig = "/etc/kubernetes/scheduler.conf"
		}
	}
	return cfg, nil
}

// Run writes the configuration as YAML.
func (o *SchedulerConfigOptions) Run(out io.Writer) error {
	cfg, err := o.Build()
	if err != nil {
		return err
	}
	// Encode without the zero values the API types spell out (qps: 0,
	// leaseDuration: 0s, ...), which kube-scheduler would default anyway.
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding the configuration: %w", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return fmt.Errorf("encoding the configuration: %w", err)
	}
	data, err := yaml.Marshal(prune(tree))
	if err != nil {
		return fmt.Errorf("encoding the configuration: %w", err)
	}
	header := "# kube-scheduler configuration calling volplace; pass it to kube-scheduler --config.\n# Generated by `volplace config scheduler`; see docs/extender.md.\n"
	_, err = io.WriteString(out, header+string(data))
	return err
}

// prune drops empty strings, zero numbers, zero durations and the maps left
// empty by that.
func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			val = prune(val)
			switch x := val.(type) {
			case string:
				if x == "" || x == "0s" {
					delete(t, k)
					continue
				}
			case float64:
				if x == 0 {
					delete(t, k)
					continue
				}
			case map[string]any:
				if len(x) == 0 {
					delete(t, k)
					continue
				}
			}
			t[k] = val
		}
	case []any:
		for i := range t {
			t[i] = prune(t[i])
		}
	}
	return v
}

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Print configuration for the components volplace works with"}
	o := NewSchedulerConfigOptions()
	scheduler := &cobra.Command{
		Use:   "scheduler --url URL [--tls-ca FILE] [--secondary]",
		Short: "Print a KubeSchedulerConfiguration whose extender is volplace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			return o.Run(cmd.OutOrStdout())
		},
	}
	o.AddFlags(scheduler.Flags())
	cmd.AddCommand(scheduler)
	return cmd
}
