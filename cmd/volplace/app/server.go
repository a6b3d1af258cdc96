package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/cmd/volplace/app/options"
	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	"github.com/volplace/volplace/webhook"
)

// HTTP server limits shared by every listener: a slow or hostile client
// cannot hold a connection or fill memory.
const (
	// ReadHeaderTimeout closes a connection whose request headers take
	// longer (slow-loris clients, stalled TLS handshakes).
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds answering a request.
	WriteTimeout = 30 * time.Second
	// IdleTimeout closes a keep-alive connection left unused.
	IdleTimeout = 90 * time.Second
	// MaxHeaderBytes caps request headers; larger ones get HTTP 431.
	MaxHeaderBytes = 64 << 10

	shutdownTimeout = 10 * time.Second
)

func newServeCommand() *cobra.Command {
	o := options.NewServeOptions()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the scheduler extender, the admission webhooks, health and metrics from informer caches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctx = klog.NewContext(ctx, klog.Background())
			limit, ok, err := softMemoryLimit(os.Getenv)
			if err != nil {
				return err
			}
			if ok {
				debug.SetMemoryLimit(limit)
				klog.FromContext(ctx).Info("Set the Go runtime's soft memory limit", "bytes", limit)
			}
			cfg, err := restConfig(o)
			if err != nil {
				return err
			}
			s, err := NewServer(ctx, o, cfg)
			if err != nil {
				return err
			}
			return s.Run(ctx)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func restConfig(o *options.ServeOptions) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = "volplace"
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	return cfg, nil
}

// Server is a running `volplace serve`: informers, the extender and the
// health server. Create it with NewServer, then call Run.
type Server struct {
	factory informers.SharedInformerFactory
	store   *store.Store

	namespacesSynced cache.InformerSynced

	extender, health, webhook    net.Listener
	extenderServer, healthServer *http.Server
	webhookServer                *http.Server
	runnables                    []func(context.Context) error
}

// NewServer loads the configuration, registers the informers and opens the
// listeners, so that their addresses are known before Run.
func NewServer(ctx context.Context, o *options.ServeOptions, cfg *rest.Config) (*Server, error) {
	ctrllog.SetLogger(klog.FromContext(ctx))
	conf, err := config.Load(o.ConfigFile)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	s := &Server{factory: informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(store.CacheTransform))}
	if s.store, err = store.New(s.factory); err != nil {
		return nil, err
	}
	namespaces := s.factory.Core().V1().Namespaces()
	s.namespacesSynced = namespaces.Informer().HasSynced
	ev := topology.NewEvaluator(s.store, conf.TopologyOptions())
	baseContext := func(net.Listener) context.Context { return ctx }

	if o.ExtenderBindAddress != "" {
		handler, err := extender.NewHandler(ev, extender.Options{
			MaxBodyBytes: o.ExtenderMaxBodyBytes,
			Ready:        s.store.HasSynced,
			InFlightTTL:  topology.DefaultHoldTTL,
		})
		if err != nil {
			return nil, err
		}
		s.extenderServer = newHTTPServer(handler, baseContext)
		if o.ExtenderTLSCertFile != "" {
			tlsConfig, watcher, err := certs.ServingConfig(o.ExtenderTLSCertFile, o.ExtenderTLSKeyFile, o.ExtenderClientCAFile)
			if err != nil {
				return nil, fmt.Errorf("extender TLS: %w", err)
			}
			s.extenderServer.TLSConfig = tlsConfig
			s.runnables = append(s.runnables, watcher.Start)
		}
		if s.extender, err = listen(o.ExtenderBindAddress, s.extenderServer.TLSConfig); err != nil {
			return nil, err
		}
	}
	if o.WebhookBindAddress != "" {
		if err := s.setUpWebhooks(ctx, o, client, conf, namespaces.Lister(), baseContext); err != nil {
			return nil, err
		}
	}
	if o.HealthBindAddress != "" {
		s.healthServer = newHTTPServer(s.healthHandler(o.EnableProfiling), baseContext)
		if s.health, err = listen(o.HealthBindAddress, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// setUpWebhooks prepares the admission webhooks' HTTPS server, with
// self-managed certificates when asked.
func (s *Server) setUpWebhooks(ctx context.Context, o *options.ServeOptions, client kubernetes.Interface,
	conf *config.Configuration, namespaces corelisters.NamespaceLister, base func(net.Listener) context.Context) error {
	if o.SelfSignedCerts {
		ns, name, _ := strings.Cut(o.SelfSignedSecret, "/")
		opts := certs.DefaultSelfSignedOptions()
		opts.Client = client
		opts.SecretNamespace, opts.SecretName = ns, name
		opts.DNSNames = o.WebhookDNSNames
		opts.CertDir = o.CertDir
		opts.MutatingWebhookConfiguration = o.MutatingWebhookConfiguration
		opts.ValidatingWebhookConfiguration = o.ValidatingWebhookConfiguration
		manager := certs.NewSelfSigned(opts)
		if err := manager.Sync(ctx); err != nil {
			return fmt.Errorf("self-signed certificates: %w", err)
		}
		s.runnables = append(s.runnables, manager.Start)
	}
	deps := webhook.Deps{Cluster: s.store, Namespaces: namespaces, Client: client}
	handler := webhook.NewHandler(deps, conf.WebhookOptions())
	tlsConfig, watcher, err := certs.ServingConfig(filepath.Join(o.CertDir, "tls.crt"), filepath.Join(o.CertDir, "tls.key"), "")
	if err != nil {
		return fmt.Errorf("webhook TLS: %w", err)
	}
	s.runnables = append(s.runnables, watcher.Start)
	s.webhookServer = newHTTPServer(handler, base)
	s.webhookServer.TLSConfig = tlsConfig
	if s.webhook, err = listen(o.WebhookBindAddress, tlsConfig); err != nil {
		return err
	}
	return nil
}

func newHTTPServer(h http.Handler, base func(net.Listener) context.Context) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		BaseContext:       base,
		// Connection errors (TLS handshakes, malformed requests) go to
		// volplace's log rather than to stderr unstructured.
		ErrorLog: log.New(serverErrors{logger: klog.FromContext(base(nil))}, "", 0),
	}
}

// serverErrors writes net/http's connection errors to a logger. They are
// about clients, often scanners or probes, so they log at -v=2.
type serverErrors struct{ logger klog.Logger }

func (w serverErrors) Write(p []byte) (int, error) {
	w.logger.V(2).Info("HTTP connection error", "err", strings.TrimSpace(string(p)))
	return len(p), nil
}

func listen(addr string, tlsConfig *tls.Config) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	if tlsConfig != nil {
		l = tls.NewListener(l, tlsConfig)
	}
	return l, nil
}

// ExtenderAddr returns the extender's listening address, or "" when disabled.
func (s *Server) ExtenderAddr() string { return addr(s.extender) }

// WebhookAddr returns the webhooks' listening address, or "" when disabled.
func (s *Server) WebhookAddr() string { return addr(s.webhook) }

// HealthAddr returns the health server's listening address, or "" when
// disabled.
func (s *Server) HealthAddr() string { return addr(s.health) }

func addr(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// Store returns the informer-backed store the servers read.
func (s *Server) Store() *store.Store { return s.store }

func (s *Server) healthHandler(profiling bool) http.Handler {
	mux := http.NewServeMux()
	if profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.store.HasSynced() || !s.namespacesSynced() {
			http.Error(w, "informer caches not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/metrics", legacyregistry.Handler())
	return mux
}

// Run starts the informers and serves until ctx ends, then shuts the
// servers down gracefully.
func (s *Server) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	g, ctx := errgroup.WithContext(ctx)
	s.factory.Start(ctx.Done())
	g.Go(func() error {
		defer s.factory.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), append(s.store.Synced(), s.namespacesSynced)...) {
			return nil
		}
		logger.Info("Informer caches synced")
		<-ctx.Done()
		return nil
	})
	for _, run := range s.runnables {
		g.Go(func() error { return run(ctx) })
	}
	for _, srv := range []struct {
		name string
		srv  *http.Server
		l    net.Listener
	}{{"extender", s.extenderServer, s.extender}, {"webhook", s.webhookServer, s.webhook}, {"health", s.healthServer, s.health}} {
		if srv.l == nil {
			continue
		}
		g.Go(func() error {
			logger.Info("Serving", "server", srv.name, "address", srv.l.Addr().String(), "tls", srv.srv.TLSConfig != nil)
			if err := srv.srv.Serve(srv.l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s server: %w", srv.name, err)
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
			defer cancel()
			return srv.srv.Shutdown(shutdownCtx)
		})
	}
	return g.Wait()
}
