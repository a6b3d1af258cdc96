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

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/volplace/volplace/certs"
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
	Volplace *harness.Volplace
	// ExtenderURL, HealthURL and WebhookURL are the servers' base URLs.
	ExtenderURL, HealthURL, WebhookURL string
	// WebhookRoots trusts the webhooks' serving certificate.
	WebhookRoots *x509.CertPool
	// LogPath is volplace's log file.
	LogPath string

	dir  string
	log  *os.File
	keep atomic.Bool
	cp   *harness.ControlPlane
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
	e.cp, err = harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets: assets,
		// No controller-manager creates the default ServiceAccount the
		// ServiceAccount plugin wants for the cluster's pods.
		DisableAdmission: []string{"ServiceAccount"},
		// Cluster creation and the deletion guard's live reads of in-use
		// claims come from many goroutines at once.
		QPS: 1000, Burst: 2000,
		StartTimeout: startTimeout,
	})
	if err != nil {
		return e, err
	}
	cfg := e.cp.Config
	e.Client = e.cp.Client
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

	v, err := harness.StartVolplace(ctx, cfg, "soak", logger,
		"--extender-bind-address=127.0.0.1:0", "--health-bind-address=127.0.0.1:0",
		"--webhook-bind-address=127.0.0.1:0", "--cert-dir="+certDir)
	if err != nil {
		return err
	}
	e.Volplace = v
	e.ExtenderURL = "http://" + v.ExtenderAddr()
	e.HealthURL = "http://" + v.HealthAddr()
	e.WebhookURL = "https://" + v.WebhookAddr()
	return v.WaitReady(ctx, startTimeout)
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
			// At most one connection per client and server, so that the
			// pool a soak test opens first is all it ever holds: a client
			// whose connection has not gone back to the idle pool yet
			// waits for it rather than dialing another.
			MaxConnsPerHost: conns,
			IdleConnTimeout: time.Minute,
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
	if e.Volplace != nil {
		if err := e.Volplace.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if e.log != nil {
		_ = e.log.Close()
	}
	if err := e.cp.Stop(); err != nil {
		errs = append(errs, err)
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
