package deploy

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/volplace/volplace/test/internal/harness"
)

func TestMain(m *testing.M) {
	flag.Parse()
	assets := harness.Assets("deploy", "./test/deploy/")
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}

	start := time.Now()
	c, err := startCluster(assets)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: deploy: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "deploy: control plane up in %v (kubectl: %s)\n", time.Since(start).Round(time.Millisecond), c.kubectl)
	cl = c

	code := m.Run()
	if code != 0 || os.Getenv(envKeepLogs) == "1" {
		c.keepDir.Store(true)
	}
	if err := c.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "deploy: teardown: %v\n", err)
	}
	os.Exit(code)
}

// installation is manifests/overlays/self-signed applied for real, and
// volplace running as its ServiceAccount with the Deployment's arguments.
// Several tests share it; it is set up once, by the first that needs it.
var installation struct {
	selfSigned, secondary, plugin appliedOverlay

	volplaceOnce sync.Once
	volplaceErr  error
	volplace     *volplaceServer
	args         []string
	readyAfter   time.Duration
	certDir      string
}

// appliedOverlay is an overlay applied once for the tests that need it.
type appliedOverlay struct {
	once sync.Once
	err  error
}

// apply applies the overlay in dir (`kubectl apply -k`) the first time.
func (o *appliedOverlay) apply(t *testing.T, dir string) {
	t.Helper()
	o.once.Do(func() {
		if r := cl.runKubectl(context.Background(), "apply", "-k", cl.path(dir)); r.Err != nil {
			o.err = fmt.Errorf("applying %s: %v", dir, r)
		}
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
}

// applySelfSigned applies the self-signed overlay.
func applySelfSigned(t *testing.T) {
	t.Helper()
	installation.selfSigned.apply(t, "manifests/overlays/self-signed")
}

// applySecondaryScheduler applies the secondary-scheduler overlay, which
// includes the self-signed one.
func applySecondaryScheduler(t *testing.T) {
	t.Helper()
	applySelfSigned(t)
	installation.secondary.apply(t, "manifests/overlays/secondary-scheduler")
}

// applyVolplaceScheduler applies the volplace-scheduler overlay: the
// secondary scheduler's objects with volplace-scheduler's image and
// configuration.
func applyVolplaceScheduler(t *testing.T) {
	t.Helper()
	applySecondaryScheduler(t)
	installation.plugin.apply(t, "manifests/overlays/volplace-scheduler")
}

// serviceAccountConfig is the admin's configuration impersonating volplace's
// ServiceAccount, with the groups the API server gives a ServiceAccount
// token.
func serviceAccountConfig() *rest.Config {
	cfg := rest.CopyConfig(cl.admin)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: serviceAccountUser,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + installNamespace, "system:authenticated"},
	}
	return cfg
}

// volplaceAsServiceAccount applies the self-signed overlay and starts
// volplace as the overlay's Deployment runs it (its arguments, the shipped
// configuration file), as its ServiceAccount, on loopback addresses and a
// temporary certificate directory. It waits for /readyz.
func volplaceAsServiceAccount(t *testing.T) *volplaceServer {
	t.Helper()
	applySelfSigned(t)
	installation.volplaceOnce.Do(func() {
		installation.volplaceErr = startInstalledVolplace()
	})
	if installation.volplaceErr != nil {
		t.Fatal(installation.volplaceErr)
	}
	return installation.volplace
}

func startInstalledVolplace() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	deploy, err := cl.client.AppsV1().Deployments(installNamespace).Get(ctx, "volplace", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading the applied Deployment: %w", err)
	}
	if n := len(deploy.Spec.Template.Spec.Containers); n != 1 {
		return fmt.Errorf("the Deployment volplace has %d containers, want 1", n)
	}
	webhookPort, err := harness.FreePort()
	if err != nil {
		return err
	}
	installation.certDir = filepath.Join(cl.dir, "volplace-certs")
	// What differs from a pod: the configuration file's path (the ConfigMap
	// is generated from manifests/base/config.yaml), loopback addresses and
	// a certificate valid for the address the test reaches.
	args, err := serveArgs(deploy.Spec.Template.Spec.Containers[0].Args, map[string]string{
		"config":                cl.path("manifests/base/config.yaml"),
		"extender-bind-address": "127.0.0.1:0",
		"health-bind-address":   "127.0.0.1:0",
		"webhook-bind-address":  "127.0.0.1:" + strconv.Itoa(webhookPort),
		"cert-dir":              installation.certDir,
		"webhook-dns-name":      "127.0.0.1",
	})
	if err != nil {
		return err
	}
	installation.args = args
	start := time.Now()
	v, err := cl.startVolplace(ctx, "as-serviceaccount", serviceAccountConfig(), args)
	if err != nil {
		return fmt.Errorf("volplace serve %s as %s: %w\n--- volplace log tail:\n%s", strings.Join(args, " "), serviceAccountUser, err, harness.Tail(cl.volplaceLog, 30, ""))
	}
	if err := v.WaitReady(ctx, startTimeout); err != nil {
		return fmt.Errorf("%w\n--- volplace log tail:\n%s", err, harness.Tail(cl.volplaceLog, 30, ""))
	}
	installation.readyAfter = time.Since(start)
	installation.volplace = v
	return nil
}

// serveArgs turns the container's arguments into `volplace serve` flags:
// it drops the "serve" subcommand and replaces (or adds) the flags named in
// overrides, keeping the rest as shipped.
func serveArgs(container []string, overrides map[string]string) ([]string, error) {
	if len(container) == 0 || container[0] != "serve" {
		return nil, fmt.Errorf("the container's args %q do not start with serve", container)
	}
	used := map[string]bool{}
	var args []string
	for _, a := range container[1:] {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if v, ok := overrides[name]; ok {
			if !used[name] {
				args = append(args, "--"+name+"="+v)
			}
			used[name] = true
			continue
		}
		args = append(args, a)
	}
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if !used[name] {
			args = append(args, "--"+name+"="+overrides[name])
		}
	}
	return args, nil
}
