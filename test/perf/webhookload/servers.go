package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/webhook"
)

// shutdownTimeout bounds a server's graceful shutdown.
const shutdownTimeout = 10 * time.Second

// kube-apiserver's webhook client (k8s.io/apiserver/pkg/util/webhook and
// client-go's transport cache): HTTP/1.1 to services, keep-alive with up to
// 25 idle connections per host.
const (
	clientIdleConnsPerHost = 25
	clientIdleConnTimeout  = 90 * time.Second
	clientHandshakeTimeout = 10 * time.Second
)

// target is a webhook server under load and the client that calls it.
type target struct {
	name string
	url  string
	// query is the one kube-apiserver adds: the webhook's timeout.
	query  string
	client *http.Client
	// expect returns the answer the server must give to a request.
	expect func(request) outcome

	srv         *http.Server
	done        chan error
	stopWatcher context.CancelFunc
	watcherDone chan error
}

// writeCerts writes a new CA and a serving certificate for 127.0.0.1 and
// localhost to dir, and returns a pool holding the CA for the clients.
func writeCerts(dir string) (*x509.CertPool, error) {
	ca, err := certs.NewCA("webhookload-ca", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	serving, err := ca.NewServing([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	if err := certs.WriteFiles(dir, ca, serving); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	return pool, nil
}

// volplaceHandler is what `volplace serve` serves on its webhook port,
// with the default configuration: every rule on, access modes enforced.
func volplaceHandler(c *cluster) http.Handler {
	return webhook.NewHandler(c.deps, config.Default().WebhookOptions())
}

// noopHandler serves, on the PVC paths, a controller-runtime webhook that
// allows everything: the baseline of decoding and answering an
// AdmissionReview over the same TLS stack.
func noopHandler() http.Handler {
	hook := &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	})}
	mux := http.NewServeMux()
	mux.Handle(webhook.MutatePVCPath, hook)
	mux.Handle(webhook.ValidatePVCPath, hook)
	return mux
}

// serve starts handler on a loopback port behind the TLS configuration of
// `volplace serve`, over the certificate in certDir; the server runs until
// stop.
func serve(ctx context.Context, name string, handler http.Handler, certDir string, pool *x509.CertPool, timeout time.Duration) (*target, error) {
	tlsConfig, watcher, err := certs.ServingConfig(filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"), "")
	if err != nil {
		return nil, fmt.Errorf("%s TLS: %w", name, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s: listening: %w", name, err)
	}
	t := &target{
		name:   name,
		url:    "https://" + l.Addr().String(),
		query:  "?timeout=" + timeout.String(),
		client: newClient(pool, timeout),
		// The limits of newHTTPServer in cmd/volplace/app/server.go, which
		// the package does not export.
		srv: &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second, MaxHeaderBytes: 64 << 10,
			BaseContext: func(net.Listener) context.Context { return ctx }},
		done:        make(chan error, 1),
		watcherDone: make(chan error, 1),
	}
	watcherCtx, stopWatcher := context.WithCancel(ctx)
	t.stopWatcher = stopWatcher
	go func() { t.watcherDone <- watcher.Start(watcherCtx) }()
	go func() { t.done <- t.srv.Serve(tls.NewListener(l, tlsConfig)) }()
	return t, nil
}

// stop shuts the server and its certificate watcher down, and returns
// what ended them, if not the shutdown.
func (t *target) stop(ctx context.Context) error {
	t.client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := t.srv.Shutdown(ctx)
	if serveErr := <-t.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("%s server: %w", t.name, serveErr))
	}
	t.stopWatcher()
	if watchErr := <-t.watcherDone; watchErr != nil {
		err = errors.Join(err, fmt.Errorf("%s certificate watcher: %w", t.name, watchErr))
	}
	return err
}

// newClient returns an HTTPS client like kube-apiserver's for a webhook
// behind a Service: HTTP/1.1 only, keep-alive.
func newClient(pool *x509.CertPool, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: clientIdleConnsPerHost,
			IdleConnTimeout:     clientIdleConnTimeout,
			TLSHandshakeTimeout: clientHandshakeTimeout,
		},
	}
}
