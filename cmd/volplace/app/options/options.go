// Package options holds the flags of `volplace serve`.
package options

import (
	"fmt"
	"net"
	"strings"

	"github.com/spf13/pflag"

	"github.com/volplace/volplace/extender"
)

// ServeOptions are the flags of `volplace serve`.
type ServeOptions struct {
	Kubeconfig   string
	KubeAPIQPS   float32
	KubeAPIBurst int
	ConfigFile   string

	ExtenderBindAddress  string
	ExtenderTLSCertFile  string
	ExtenderTLSKeyFile   string
	ExtenderClientCAFile string
	ExtenderMaxBodyBytes int64

	HealthBindAddress string
	EnableProfiling   bool

	WebhookBindAddress string
	CertDir            string

	SelfSignedCerts                bool
	SelfSignedSecret               string
	WebhookDNSNames                []string
	MutatingWebhookConfiguration   string
	ValidatingWebhookConfiguration string
}

// NewServeOptions returns the defaults.
func NewServeOptions() *ServeOptions {
	return &ServeOptions{
		// kube-scheduler's defaults: the informers' lists at start, and a
		// burst of PVC deletions that each check the claim's pods live,
		// must not queue behind client-go's 5 requests/s.
		KubeAPIQPS:           50,
		KubeAPIBurst:         100,
		ExtenderBindAddress:  ":8888",
		ExtenderMaxBodyBytes: extender.DefaultMaxBodyBytes,
		HealthBindAddress:    ":8080",

		WebhookBindAddress:             ":9443",
		CertDir:                        "/var/run/volplace/certs",
		SelfSignedSecret:               "volplace-system/volplace-certs",
		WebhookDNSNames:                []string{"volplace.volplace-system.svc", "volplace.volplace-system.svc.cluster.local"},
		MutatingWebhookConfiguration:   "volplace",
		ValidatingWebhookConfiguration: "volplace",
	}
}

// AddFlags registers the flags.
func (o *ServeOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file. Empty means the in-cluster configuration.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Requests per second volplace may send to kube-apiserver.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Requests volplace may send to kube-apiserver in a burst above --kube-api-qps.")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "Path to a VolplaceConfiguration file (config.volplace.io/v1alpha1) with rule switches and score weights. Empty means the defaults.")
	fs.StringVar(&o.ExtenderBindAddress, "extender-bind-address", o.ExtenderBindAddress, "Address of the scheduler extender's HTTP(S) server (POST /filter, POST /prioritize). Empty disables the extender.")
	fs.StringVar(&o.ExtenderTLSCertFile, "extender-tls-cert-file", o.ExtenderTLSCertFile, "Serving certificate of the extender; with --extender-tls-key-file the extender serves HTTPS, reloading the files when they change.")
	fs.StringVar(&o.ExtenderTLSKeyFile, "extender-tls-key-file", o.ExtenderTLSKeyFile, "Private key of --extender-tls-cert-file.")
	fs.StringVar(&o.ExtenderClientCAFile, "extender-client-ca-file", o.ExtenderClientCAFile, "CA bundle to verify client certificates with; when set, the extender refuses clients without a certificate it signed (kube-scheduler's tlsConfig certFile/keyFile). Needs TLS.")
	fs.Int64Var(&o.ExtenderMaxBodyBytes, "extender-max-body-bytes", o.ExtenderMaxBodyBytes, "Largest extender request body accepted; larger requests get HTTP 413.")
	fs.StringVar(&o.WebhookBindAddress, "webhook-bind-address", o.WebhookBindAddress, "Address of the admission webhooks' HTTPS server. Empty disables the webhooks.")
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, "Directory holding the webhooks' serving certificate, tls.crt and tls.key; they are reloaded when they change.")
	fs.BoolVar(&o.SelfSignedCerts, "self-signed-certs", o.SelfSignedCerts, "Manage the webhooks' certificates: keep a CA and serving certificate in --self-signed-secret, write them to --cert-dir, patch caBundle into the webhook configurations and rotate before expiry. Leave off with cert-manager.")
	fs.StringVar(&o.SelfSignedSecret, "self-signed-secret", o.SelfSignedSecret, "NAMESPACE/NAME of the Secret that holds the self-signed certificates, shared by replicas.")
	fs.StringSliceVar(&o.WebhookDNSNames, "webhook-dns-name", o.WebhookDNSNames, "DNS names (or IP addresses) of the self-signed serving certificate; repeat or separate with commas.")
	fs.StringVar(&o.MutatingWebhookConfiguration, "mutating-webhook-configuration", o.MutatingWebhookConfiguration, "Name of volplace's MutatingWebhookConfiguration, whose caBundle --self-signed-certs keeps current.")
	fs.StringVar(&o.ValidatingWebhookConfiguration, "validating-webhook-configuration", o.ValidatingWebhookConfiguration, "Name of volplace's ValidatingWebhookConfiguration, whose caBundle --self-signed-certs keeps current.")
	fs.StringVar(&o.HealthBindAddress, "health-bind-address", o.HealthBindAddress, "Address serving /healthz, /readyz (true once every informer cache has synced) and /metrics. Empty disables it.")
	fs.BoolVar(&o.EnableProfiling, "profiling", o.EnableProfiling, "Also serve Go's profiles under /debug/pprof/ on --health-bind-address. That address has no authentication: keep it off where untrusted clients reach it.")
}

// Validate checks the flags.
func (o *ServeOptions) Validate() []error {
	var errs []error
	for _, a := range []struct{ flag, addr string }{
		{"--extender-bind-address", o.ExtenderBindAddress},
		{"--health-bind-address", o.HealthBindAddress},
		{"--webhook-bind-address", o.WebhookBindAddress},
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
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst < 1 {
		errs = append(errs, fmt.Errorf("--kube-api-qps must be positive and --kube-api-burst at least 1, not %g and %d", o.KubeAPIQPS, o.KubeAPIBurst))
	}
	if o.ExtenderMaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("--extender-max-body-bytes must be positive, not %d", o.ExtenderMaxBodyBytes))
	}
	if o.ExtenderBindAddress == "" && o.HealthBindAddress == "" && o.WebhookBindAddress == "" {
		errs = append(errs, fmt.Errorf("nothing to serve: --extender-bind-address, --webhook-bind-address and --health-bind-address are all empty"))
	}
	if o.WebhookBindAddress != "" && o.CertDir == "" {
		errs = append(errs, fmt.Errorf("--webhook-bind-address needs --cert-dir"))
	}
	if o.SelfSignedCerts {
		if ns, name, ok := strings.Cut(o.SelfSignedSecret, "/"); !ok || ns == "" || name == "" {
			errs = append(errs, fmt.Errorf("--self-signed-secret must be NAMESPACE/NAME, not %q", o.SelfSignedSecret))
		}
		if len(o.WebhookDNSNames) == 0 {
			errs = append(errs, fmt.Errorf("--self-signed-certs needs at least one --webhook-dns-name"))
		}
	}
	return errs
}
