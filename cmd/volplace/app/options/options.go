// Package options holds the flags of `volplace serve`.
package options

import (
	"fmt"
	"net"

	"github.com/spf13/pflag"

	"github.com/volplace/volplace/extender"
)

// ServeOptions are the flags of `volplace serve`.
type ServeOptions struct {
	Kubeconfig string
	ConfigFile string

	ExtenderBindAddress  string
	ExtenderTLSCertFile  string
	ExtenderTLSKeyFile   string
	ExtenderClientCAFile string
	ExtenderMaxBodyBytes int64

	HealthBindAddress string
}

// NewServeOptions returns the defaults.
func NewServeOptions() *ServeOptions {
	return &ServeOptions{
		ExtenderBindAddress:  ":8888",
		ExtenderMaxBodyBytes: extender.DefaultMaxBodyBytes,
		HealthBindAddress:    ":8080",
	}
}

// AddFlags registers the flags.
func (o *ServeOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file. Empty means the in-cluster configuration.")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "Path to a VolplaceConfiguration file (config.volplace.io/v1alpha1) with rule switches and score weights. Empty means the defaults.")
	fs.StringVar(&o.ExtenderBindAddress, "extender-bind-address", o.ExtenderBindAddress, "Address of the scheduler extender's HTTP(S) server (POST /filter, POST /prioritize). Empty disables the extender.")
	fs.StringVar(&o.ExtenderTLSCertFile, "extender-tls-cert-file", o.ExtenderTLSCertFile, "Serving certificate of the extender; with --extender-tls-key-file the extender serves HTTPS, reloading the files when they change.")
	fs.StringVar(&o.ExtenderTLSKeyFile, "extender-tls-key-file", o.ExtenderTLSKeyFile, "Private key of --extender-tls-cert-file.")
	fs.StringVar(&o.ExtenderClientCAFile, "extender-client-ca-file", o.ExtenderClientCAFile, "CA bundle to verify client certificates with; when set, the extender refuses clients without a certificate it signed (kube-scheduler's tlsConfig certFile/keyFile). Needs TLS.")
	fs.Int64Var(&o.ExtenderMaxBodyBytes, "extender-max-body-bytes", o.ExtenderMaxBodyBytes, "Largest extender request body accepted; larger requests get HTTP 413.")
	fs.StringVar(&o.HealthBindAddress, "health-bind-address", o.HealthBindAddress, "Address serving /healthz, /readyz (true once every informer cache has synced) and /metrics. Empty disables it.")
}

// Validate checks the flags.
func (o *ServeOptions) Validate() []error {
	var errs []error
	for _, a := range []struct{ flag, addr string }{
		{"--extender-bind-address", o.ExtenderBindAddress},
		{"--health-bind-address", o.HealthBindAddress},
	} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.flag, a.addr, err))
		}
	}
	if (o.ExtenderTLSCertFile == "") != (o.ExtenderTLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("--extender-tls-cert-file and --extender-tls-key-file must be set together"))
	}
	if o.ExtenderClientCAFile != "" && o.ExtenderTLSCertFile == "" {
		errs = append(errs, fmt.Errorf("--extender-client-ca-file needs --extender-tls-cert-file and --extender-tls-key-file"))
	}
	if o.ExtenderMaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("--extender-max-body-bytes must be positive, not %d", o.ExtenderMaxBodyBytes))
	}
	if o.ExtenderBindAddress == "" && o.HealthBindAddress == "" {
		errs = append(errs, fmt.Errorf("nothing to serve: --extender-bind-address and --health-bind-address are both empty"))
	}
	return errs
}
