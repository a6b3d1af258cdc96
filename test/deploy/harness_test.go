package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/volplace/volplace/test/internal/harness"
)

// Environment variables the package reads, as test/e2e does.
const (
	// envKeepLogs, set to 1, keeps the temporary directory with the logs
	// and configurations of a passing run too (a failing run keeps it).
	envKeepLogs = "VOLPLACE_DEPLOY_KEEP_LOGS"
)

// What the manifests install.
const (
	installNamespace = "volplace-system"
	serviceAccount   = "volplace"
	// serviceAccountUser is the user name volplace's pods authenticate as.
	serviceAccountUser = "system:serviceaccount:" + installNamespace + ":" + serviceAccount
	// certSecret is the Secret of the self-signed overlay.
	certSecret = "volplace-certs"
	// webhookConfiguration names both webhook configurations.
	webhookConfiguration = "volplace"
)

// Timeouts.
const (
	// startTimeout bounds envtest's start and each readiness wait
	// (volplace's /readyz, kube-scheduler's /readyz, a pod's binding).
	startTimeout = 60 * time.Second
	stopTimeout  = 20 * time.Second
	// kubectlTimeout bounds one kubectl call.
	kubectlTimeout = 60 * time.Second
	pollInterval   = 100 * time.Millisecond
)

// cluster is the control plane TestMain starts, shared by the tests.
type cluster struct {
	// repo is the repository root, dir a temporary directory for
	// kubeconfigs, configurations, certificates and logs.
	repo, dir string
	assets    string
	kubectl   string

	cp *harness.ControlPlane
	// admin reaches the API server as a member of system:masters; client
	// is a clientset over it and kubeconfig a kubeconfig file for it.
	admin      *rest.Config
	client     kubernetes.Interface
	kubeconfig string

	// volplaceLog receives klog's output: every in-process volplace's and
	// client-go's.
	volplaceLog    string
	volplaceLogOut *os.File
	logger         logr.Logger

	keepDir atomic.Bool

	mu       sync.Mutex
	stoppers []func() error // run in reverse order by stop
}

// cl is the cluster TestMain started.
var cl *cluster

// startCluster starts etcd and kube-apiserver with the CRDs of testdata/crds,
// writes an admin kubeconfig and creates the namespace volplace-system.
func startCluster(assets string) (c *cluster, err error) {
	c = &cluster{assets: assets}
	defer func() {
		if err != nil {
			c.keepDir.Store(true)
			err = errors.Join(err, c.stop())
		}
	}()
	var missing []string
	for _, bin := range []string{"etcd", "kube-apiserver", "kube-scheduler"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("%s=%s lacks %s; hack/control-plane.sh builds them and prints the directory to use", harness.EnvAssets, assets, strings.Join(missing, ", "))
	}
	if c.kubectl, err = findKubectl(assets); err != nil {
		return c, err
	}
	if c.repo, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		return c, err
	}
	if _, err := os.Stat(filepath.Join(c.repo, "manifests", "base", "kustomization.yaml")); err != nil {
		return c, fmt.Errorf("the repository root %s has no manifests: %w", c.repo, err)
	}
	if c.dir, err = os.MkdirTemp("", "volplace-deploy-"); err != nil {
		return c, err
	}

	// klog goes to a file: volplace's own logger and client-go's global klog
	// calls (a reflector's "forbidden" lands there).
	c.volplaceLog = filepath.Join(c.dir, "volplace.log")
	if c.volplaceLogOut, err = os.Create(c.volplaceLog); err != nil {
		return c, err
	}
	c.logger = textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(5), textlogger.Output(c.volplaceLogOut)))
	klog.SetLogger(c.logger)

	c.cp, err = harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets:   assets,
		CRDPaths: []string{filepath.Join("testdata", "crds")},
		// No controller-manager creates ServiceAccount tokens and no
		// node-lifecycle controller lifts the not-ready taint: both
		// admission plugins would keep pods from being created or
		// scheduled.
		DisableAdmission: []string{"ServiceAccount", "TaintNodesByCondition"},
		QPS:              100, Burst: 200,
		StartTimeout: startTimeout,
	})
	if err != nil {
		return c, err
	}
	if c.kubeconfig, err = c.cp.Kubeconfig(c.dir, "volplace-deploy-admin"); err != nil {
		return c, err
	}
	c.admin, c.client = c.cp.Config, c.cp.Client
	// Namespaced objects of every kustomization go to volplace-system: it
	// must exist for their server-side dry-run. It is created from the
	// shipped manifest, with its Pod Security labels, so that the dry-runs
	// also check the pod templates against the namespace's level.
	if r := c.runKubectl(context.Background(), "apply", "-f", c.path("manifests/base/namespace.yaml")); r.Err != nil {
		return c, fmt.Errorf("creating namespace %s: %v", installNamespace, r)
	}
	return c, nil
}

// findKubectl returns the kubectl of KUBEBUILDER_ASSETS, else the one on
// PATH.
func findKubectl(assets string) (string, error) {
	if p := filepath.Join(assets, "kubectl"); isExecutable(p) {
		return p, nil
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		return "", fmt.Errorf("no kubectl in %s=%s or on PATH: hack/control-plane.sh links the machine's kubectl there; install kubectl (with kustomize, `kubectl apply -k`)", harness.EnvAssets, assets)
	}
	return p, nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path) // follows the symlink
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// ensureNamespace creates a namespace unless it exists.
func (c *cluster) ensureNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// onStop registers a teardown step; stop runs them last-in first-out before
// stopping the control plane.
func (c *cluster) onStop(f func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stoppers = append(c.stoppers, f)
}

// stop tears down what the tests left running (volplace servers), then
// kube-apiserver and etcd. It is safe on a partly started cluster.
func (c *cluster) stop() error {
	var errs []error
	c.mu.Lock()
	stoppers := c.stoppers
	c.stoppers = nil
	c.mu.Unlock()
	for i := len(stoppers) - 1; i >= 0; i-- {
		errs = append(errs, stoppers[i]())
	}
	if err := c.cp.Stop(); err != nil {
		errs = append(errs, err)
	}
	if c.volplaceLogOut != nil {
		klog.ClearLogger()
		_ = c.volplaceLogOut.Close()
	}
	if c.dir != "" {
		if c.keepDir.Load() {
			fmt.Fprintf(os.Stderr, "deploy: logs and configurations kept in %s\n", c.dir)
		} else {
			_ = os.RemoveAll(c.dir)
		}
	}
	return errors.Join(errs...)
}

// keepOnFailure keeps the temporary directory when t fails.
func (c *cluster) keepOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			c.keepDir.Store(true)
		}
	})
}

// path returns a path under the repository root.
func (c *cluster) path(rel string) string { return filepath.Join(c.repo, filepath.FromSlash(rel)) }

// kubectlResult is what a kubectl run printed.
type kubectlResult struct {
	Stdout, Stderr string
	Err            error
}

// String is the command's output for a failure message.
func (r kubectlResult) String() string {
	return fmt.Sprintf("exit: %v\nstdout:\n%s\nstderr:\n%s", r.Err, r.Stdout, r.Stderr)
}

// runKubectl runs kubectl as the admin user.
func (c *cluster) runKubectl(ctx context.Context, args ...string) kubectlResult {
	ctx, cancel := context.WithTimeout(ctx, kubectlTimeout)
	defer cancel()
	args = append([]string{"--kubeconfig=" + c.kubeconfig, "--cache-dir=" + filepath.Join(c.dir, "kubectl-cache")}, args...)
	cmd := exec.CommandContext(ctx, c.kubectl, args...)
	cmd.Dir = c.repo
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("kubectl %s: %w", strings.Join(args[2:], " "), err)
	}
	return kubectlResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// kubectl runs kubectl and fails the test when it exits non-zero.
func (c *cluster) kubectlOrFail(t *testing.T, args ...string) string {
	t.Helper()
	r := c.runKubectl(t.Context(), args...)
	if r.Err != nil {
		t.Fatalf("%v", r)
	}
	return r.Stdout
}

// serviceAccountKubeconfig writes a kubeconfig that impersonates a
// ServiceAccount, with the groups the API server gives its tokens.
func (c *cluster) serviceAccountKubeconfig(namespace, name string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(c.kubeconfig)
	if err != nil {
		return "", err
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = "system:serviceaccount:" + namespace + ":" + name
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	}
	path := filepath.Join(c.dir, namespace+"-"+name+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// volplaceServer is an in-process `volplace serve`.
type volplaceServer = harness.Volplace

// startVolplace runs `volplace serve` with the given flags in-process, its
// client on cfg; it returns once the listeners are open (before /readyz).
// The cluster stops it.
func (c *cluster) startVolplace(ctx context.Context, name string, cfg *rest.Config, args []string) (*volplaceServer, error) {
	v, err := harness.StartVolplace(ctx, cfg, name, c.logger.WithName(name), args...)
	if err != nil {
		return nil, err
	}
	c.onStop(v.Stop)
	return v, nil
}

// extenderRequests returns volplace_extender_requests_total for a verb and
// HTTP code. The metrics registry is global: every in-process volplace counts
// into it.
func extenderRequests(ctx context.Context, v *volplaceServer, verb, code string) (float64, error) {
	status, body, err := harness.HTTPGet(ctx, http.DefaultClient, "http://"+v.HealthAddr()+"/metrics")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: HTTP %d", status)
	}
	const name = "volplace_extender_requests_total"
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, `verb="`+verb+`"`) || !strings.Contains(line, `code="`+code+`"`) {
			continue
		}
		fields := strings.Fields(line)
		return strconv.ParseFloat(fields[len(fields)-1], 64)
	}
	return 0, nil
}

// startScheduler runs kube-scheduler (binary, else the control plane's)
// with a configuration file, stopping it when the test ends; it returns
// once /readyz answers 200. kubeconfig is that of its delegated
// authentication and authorization (the configuration's
// clientConnection.kubeconfig is for everything else).
func (c *cluster) startScheduler(t *testing.T, name, binary string, config []byte, kubeconfig string) *harness.Process {
	t.Helper()
	s, readyz := c.launchScheduler(t, name, binary, config, kubeconfig)
	started := time.Now()
	if err := s.WaitHealthy(t.Context(), readyz, startTimeout); err != nil {
		t.Fatalf("kube-scheduler %s did not become ready: %v", name, err)
	}
	t.Logf("kube-scheduler %s ready in %v", name, time.Since(started).Round(time.Millisecond))
	return s
}

// launchScheduler is startScheduler without the wait: it returns the
// process and the URL of its /readyz.
func (c *cluster) launchScheduler(t *testing.T, name, binary string, config []byte, kubeconfig string) (*harness.Process, string) {
	t.Helper()
	if binary == "" {
		binary = filepath.Join(c.assets, "kube-scheduler")
	}
	s, readyz, err := harness.LaunchScheduler(binary, c.dir, name, kubeconfig, string(config))
	if err != nil {
		t.Fatalf("starting kube-scheduler %s: %v", name, err)
	}
	t.Cleanup(func() {
		stopStart := time.Now()
		if err := s.Stop(); err != nil {
			t.Errorf("stopping kube-scheduler %s: %v", name, err)
		}
		t.Logf("kube-scheduler %s stopped in %v", name, time.Since(stopStart).Round(time.Millisecond))
		if t.Failed() {
			t.Logf("kube-scheduler %s ran with:\n%s\n--- kube-scheduler log tail (%s):\n%s", name, config, s.Log, s.Tail(40, ""))
			t.Logf("--- volplace log tail (%s):\n%s", c.volplaceLog, harness.Tail(c.volplaceLog, 30, ""))
		}
	})
	return s, readyz
}
