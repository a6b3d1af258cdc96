package soak

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/cmd/volplace/app/options"
	"github.com/volplace/volplace/test/internal/harness"
)

// Timeouts of the environment.
const (
	startTimeout = 90 * time.Second
	stopTimeout  = 20 * time.Second
	// requestTimeout bounds one request of the load; the webhook
	// configurations volplace ships give kube-apiserver 5 s.
	requestTimeout = 10 * time.Second
)

// Env is the system under test: etcd and kube-apiserver started by envtest,
// `volplace serve` in this process with every server on a loopback port,
// and the cluster of CreateCluster.
type Env struct {
	// Client reaches kube-apiserver as a member of system:masters.
	Client kubernetes.Interface
	// Volplace is the in-process `volplace serve`.
	Volplace *app.Server
	// ExtenderURL, HealthURL and WebhookURL are the servers' base URLs.
	ExtenderURL, HealthURL, WebhookURL string
	// WebhookRoots trusts the webhooks' serving certificate.
	WebhookRoots *x509.CertPool
	// LogPath is volplace's log file.
	LogPath string

	dir  string
	log  *os.File
	keep atomic.Bool
	env  *envtest.Environment
	stop context.CancelFunc
	done chan error
}

// Start brings up the control plane, volplace and the cluster. On error it
// stops what it started.
func Start(ctx context.Context, assets string) (e *Env, err error) {
	e = &Env{}
	defer func() {
		if err != nil {
			e.KeepLogs()
			err = errors.Join(err, e.Stop())
		}
	}()
	if e.dir, err = os.MkdirTemp("", "volplace-soak-"); err != nil {
		return e, err
	}
	e.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  stopTimeout,
	}
	// No controller-manager creates the default ServiceAccount the
	// ServiceAccount plugin wants for the cluster's pods.
	e.env.ControlPlane.GetAPIServer().Configure().Set("disable-admission-plugins", "ServiceAccount")
	cfg, err := e.env.Start()
	if err != nil {
		return e, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	// Cluster creation and the deletion guard's live reads of in-use
	// claims come from many goroutines at once.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 1000, 2000
	if e.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return e, err
	}
	if err := CreateCluster(ctx, e.Client); err != nil {
		return e, fmt.Errorf("creating the cluster: %w", err)
	}
	if err := e.startVolplace(ctx, cfg); err != nil {
		return e, fmt.Errorf("starting volplace: %w", err)
	}
	return e, nil
}

// startVolplace runs `volplace serve`, configured through its flags as a
// user would, at its default log verbosity, and waits for /readyz.
func (e *Env) startVolplace(ctx context.Context, cfg *rest.Config) error {
	ca, err := certs.NewCA("volplace-soak-ca", 24*time.Hour)
	if err != nil {
		return err
	}
	serving, err := ca.NewServing([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, 24*time.Hour)
	if err != nil {
		return err
	}
	certDir := filepath.Join(e.dir, "certs")
	if err := certs.WriteFiles(certDir, ca, serving); err != nil {
		return err
	}
	e.WebhookRoots = x509.NewCertPool()
	e.WebhookRoots.AddCert(ca.Certificate())

	e.LogPath = filepath.Join(e.dir, "volplace.log")
	if e.log, err = os.Create(e.LogPath); err != nil {
		return err
	}
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(e.log)))
	klog.SetLogger(logger)

	o := options.NewServeOptions()
	fs := pflag.NewFlagSet("volplace serve", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{
		"--extender-bind-address=127.0.0.1:0", "--health-bind-address=127.0.0.1:0",
		"--webhook-bind-address=127.0.0.1:0", "--cert-dir=" + certDir,
	}); err != nil {
		return err
	}
	if err := errors.Join(o.Validate()...); err != nil {
		return err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "volplace-soak"
	runCtx, cancel := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	s, err := app.NewServer(runCtx, o, cfg)
	if err != nil {
		cancel()
		return err
	}
	e.Volplace, e.stop, e.done = s, cancel, make(chan error, 1)
	go func() { e.done <- s.Run(runCtx) }()
	e.ExtenderURL = "http://" + s.ExtenderAddr()
	e.HealthURL = "http://" + s.HealthAddr()
	e.WebhookURL = "https://" + s.WebhookAddr()

	return harness.Poll(ctx, startTimeout, func() (bool, error) {
		select {
		case err := <-e.done:
			e.done <- err
			return false, fmt.Errorf("volplace exited early: %w", err)
		default:
		}
		code, _, err := harness.HTTPGet(ctx, http.DefaultClient, e.HealthURL+"/readyz")
		return err == nil && code == http.StatusOK, nil
	})
}

// HTTPClient returns a client with its own connection pool, sized for
// conns concurrent requests per server, that trusts the webhooks'
// certificate. With h2 it speaks HTTP/2 over TLS, as kube-apiserver does
// to webhooks; else HTTP/1.1, as kube-scheduler does to extenders.
func (e *Env) HTTPClient(conns int, h2 bool) *http.Client {
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: e.WebhookRoots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   h2,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// LogWriter is where the standard library's log package should write (the
// HTTP servers log rejected connections there): volplace's log file.
func (e *Env) LogWriter() io.Writer { return e.log }

// KeepLogs keeps the temporary directory with volplace's log after Stop.
func (e *Env) KeepLogs() { e.keep.Store(true) }

// Stop stops volplace, kube-apiserver and etcd, and removes the temporary
// directory unless it failed or KeepLogs was called. It is safe on a
// partly started Env.
func (e *Env) Stop() error {
	var errs []error
	if e.stop != nil {
		e.stop()
		select {
		case err := <-e.done:
			if err != nil {
				errs = append(errs, fmt.Errorf("volplace: %w", err))
			}
		case <-time.After(stopTimeout):
			errs = append(errs, errors.New("volplace did not stop"))
		}
	}
	if e.log != nil {
		_ = e.log.Close()
	}
	if e.env != nil {
		if err := e.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("envtest: %w", err))
		}
	}
	switch {
	case e.dir == "":
	case len(errs) > 0 || e.keep.Load():
		fmt.Fprintf(os.Stderr, "soak: logs kept in %s\n", e.dir)
	default:
		_ = os.RemoveAll(e.dir)
	}
	return errors.Join(errs...)
}
