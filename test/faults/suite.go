package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// Timeouts of the suite.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 20 * time.Second
	// readyTimeout bounds a volplace's wait for /readyz.
	readyTimeout = 30 * time.Second
	certValidity = 24 * time.Hour
)

// watchUncached lists the resources whose watch cache kube-apiserver turns
// off, so that their watches are served by etcd itself: compacting etcd then
// expires a watch's resourceVersion at once (HTTP 410, "too old resource
// version"), as a client that falls behind the watch cache's window sees on
// a busy cluster. The other resources keep the watch cache.
var watchUncached = []string{"csinodes.storage.k8s.io", "volumeattachments.storage.k8s.io"}

// suite is the control plane the tests share: etcd and kube-apiserver
// (envtest), a proxy between volplace and kube-apiserver, and two
// kube-schedulers that call volplace at a fixed address. Each test starts
// the volplace it needs; the tests run one at a time.
type suite struct {
	dir    string
	assets string
	cp     *harness.ControlPlane
	// admin reaches kube-apiserver directly, as a member of system:masters.
	admin  *rest.Config
	client kubernetes.Interface
	// apiLink is the proxy between volplace and kube-apiserver.
	apiLink *proxy
	// kubeconfigs of volplace: straight to kube-apiserver, or through
	// apiLink.
	directKubeconfig, linkedKubeconfig string
	addrs                              volplaceAddrs
	// webhookCA signed volplace's webhook serving certificate, in certDir.
	webhookCA *certs.KeyPair
	certDir   string

	schedulers map[string]*kubeScheduler
	volplaces  atomic.Int32 // numbers the volplace runs' logs
	keep       atomic.Bool

	mu      sync.Mutex
	running []*process // volplaces still to stop at teardown
}

// startSuite starts the control plane and both kube-schedulers. On error it
// stops what it started.
func startSuite(ctx context.Context, assets string) (su *suite, err error) {
	su = &suite{assets: assets, schedulers: map[string]*kubeScheduler{}}
	defer func() {
		if err != nil {
			su.keep.Store(true)
			err = errors.Join(err, su.stop())
		}
	}()
	if su.dir, err = os.MkdirTemp("", "volplace-faults-"); err != nil {
		return su, err
	}
	if err := su.startControlPlane(); err != nil {
		return su, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	if err := su.writeKubeconfigs(); err != nil {
		return su, err
	}
	if err := su.setUpVolplaceAddrs(); err != nil {
		return su, err
	}
	schedulerKubeconfig, err := su.kubeconfig("kube-scheduler", "")
	if err != nil {
		return su, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, spec := range schedulerSpecs {
		g.Go(func() error {
			s, err := startScheduler(gctx, su.dir, assets, schedulerKubeconfig, su.addrs.extender, spec)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			su.schedulers[spec.name] = s
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return su, err
	}
	f, err := e2e.Attach(su.admin)
	if err != nil {
		return su, err
	}
	e2e.UseFramework(f)
	return su, nil
}

func (su *suite) startControlPlane() error {
	var err error
	su.cp, err = harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets: su.assets,
		// As in test/e2e: no controller-manager creates the default
		// ServiceAccount or lifts the not-ready taint, and
		// DefaultStorageClass would default claims before volplace's
		// webhook sees them.
		DisableAdmission: []string{"ServiceAccount", "TaintNodesByCondition", "DefaultStorageClass"},
		QPS:              200, Burst: 400,
		StartTimeout: startTimeout,
		Configure: func(api *envtest.APIServer) error {
			// A certificate directory of the suite's, not envtest's
			// temporary one, and a stable port: kube-apiserver then
			// restarts on the same port with the same serving and client
			// CAs, so every client's credentials stay valid.
			api.CertDir = filepath.Join(su.dir, "kube-apiserver")
			if err := os.Mkdir(api.CertDir, 0o700); err != nil {
				return err
			}
			addr, err := stableAddr()
			if err != nil {
				return err
			}
			api.Address, api.Port, _ = strings.Cut(addr, ":") // of api.SecureServing
			// On SIGTERM, kube-apiserver ends open watches after this
			// grace period instead of waiting up to --request-timeout (1
			// min) for them, so that TestAPIServerRestart restarts it in
			// seconds; clients see their watches end and reconnect, as in
			// any restart.
			api.Configure().
				Set("watch-cache-sizes", watchCacheSizes()).
				Set("shutdown-watch-termination-grace-period", "2s")
			out, err := os.Create(filepath.Join(su.dir, "kube-apiserver.log"))
			if err != nil {
				return err
			}
			api.Out, api.Err = out, out
			return nil
		},
	})
	if err != nil {
		return err
	}
	cfg := su.cp.Config
	su.admin = rest.CopyConfig(cfg)
	// volplace's admission warnings are not news in this suite's output.
	su.admin.WarningHandler = rest.NoWarnings{}
	su.client, err = kubernetes.NewForConfig(su.admin)
	if err != nil {
		return err
	}
	host, err := url.Parse(su.admin.Host)
	if err != nil {
		return fmt.Errorf("kube-apiserver's URL %q: %w", su.admin.Host, err)
	}
	su.apiLink, err = newProxy(host.Host)
	return err
}

func watchCacheSizes() string {
	sizes := make([]string, len(watchUncached))
	for i, r := range watchUncached {
		sizes[i] = r + "#0"
	}
	return strings.Join(sizes, ",")
}

// writeKubeconfigs writes volplace's kubeconfigs, straight to
// kube-apiserver and through apiLink.
func (su *suite) writeKubeconfigs() error {
	var err error
	if su.directKubeconfig, err = su.kubeconfig("volplace", ""); err != nil {
		return err
	}
	su.linkedKubeconfig, err = su.kubeconfig("volplace-linked", "https://"+su.apiLink.Addr())
	return err
}

// kubeconfig writes a kubeconfig of a new system:masters user to the
// suite's directory and returns its path; server, if set, replaces
// kube-apiserver's URL.
func (su *suite) kubeconfig(user, server string) (string, error) {
	u, err := su.cp.Env.AddUser(envtest.User{Name: "volplace-faults-" + user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return "", err
	}
	if server != "" {
		for _, c := range cfg.Clusters {
			c.Server = server
		}
	}
	path := filepath.Join(su.dir, user+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// setUpVolplaceAddrs picks volplace's fixed addresses and writes the
// webhooks' CA and serving certificate for 127.0.0.1.
func (su *suite) setUpVolplaceAddrs() error {
	for _, a := range []*string{&su.addrs.extender, &su.addrs.health, &su.addrs.webhook} {
		var err error
		if *a, err = stableAddr(); err != nil {
			return err
		}
	}
	ca, err := certs.NewCA("volplace-faults-ca", certValidity)
	if err != nil {
		return err
	}
	serving, err := ca.NewServing([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, certValidity)
	if err != nil {
		return err
	}
	su.webhookCA, su.certDir = ca, filepath.Join(su.dir, "webhook-certs")
	return certs.WriteFiles(su.certDir, ca, serving)
}

// volplaceConnection says how a volplace reaches kube-apiserver.
type volplaceConnection int

const (
	// direct: straight to kube-apiserver.
	direct volplaceConnection = iota
	// linked: through the suite's apiLink proxy, which tests cut.
	linked
)

// startVolplace starts a volplace on the suite's addresses; the suite stops
// it at teardown if the test did not.
func (su *suite) startVolplace(conn volplaceConnection) (*volplace, error) {
	kubeconfig := su.directKubeconfig
	if conn == linked {
		kubeconfig = su.linkedKubeconfig
	}
	name := fmt.Sprintf("%d", su.volplaces.Add(1))
	v, err := startVolplace(su.dir, name, kubeconfig, su.certDir, su.addrs)
	if err != nil {
		return nil, err
	}
	su.mu.Lock()
	su.running = append(su.running, v.process)
	su.mu.Unlock()
	return v, nil
}

// stop tears everything down: volplaces, kube-schedulers, the proxy,
// kube-apiserver and etcd. It is safe on a partly started suite.
func (su *suite) stop() error {
	var errs []error
	su.mu.Lock()
	running := su.running
	su.mu.Unlock()
	for _, p := range running {
		if err := p.stop(stopTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range su.schedulers {
		if err := s.stop(stopTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	if su.apiLink != nil {
		if err := su.apiLink.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := su.cp.Stop(); err != nil {
		errs = append(errs, err)
	}
	if su.dir != "" {
		if su.keep.Load() {
			fmt.Fprintf(os.Stderr, "faults: logs kept in %s\n", su.dir)
		} else {
			_ = os.RemoveAll(su.dir)
		}
	}
	return errors.Join(errs...)
}

// stopAPIServer stops kube-apiserver (SIGTERM, as a static pod's restart
// does); etcd keeps running.
func (su *suite) stopAPIServer() error {
	return su.cp.Env.ControlPlane.GetAPIServer().Stop()
}

// startAPIServer starts kube-apiserver again, on the same port with the same
// certificates, and waits for its /healthz.
func (su *suite) startAPIServer() error {
	return su.cp.Env.ControlPlane.GetAPIServer().Start()
}
