package e2e

import (
	"context"
	"crypto/tls"
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
	"syscall"
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

// Scheduler profiles of the kube-scheduler under test.
const (
	// ProfileDefault is kube-scheduler's default plugins plus volplace as
	// extender.
	ProfileDefault = "default-scheduler"
	// ProfileVolplaceOnly has the in-tree volume plugins disabled, so that
	// volplace alone decides where volumes fit.
	ProfileVolplaceOnly = "volplace-only"
)

// Profiles lists both profiles.
var Profiles = []string{ProfileDefault, ProfileVolplaceOnly}

// Timeouts of the harness.
const (
	startTimeout = 90 * time.Second
	stopTimeout  = 20 * time.Second
)

// schedulerConfigTemplate is the KubeSchedulerConfiguration given to
// kube-scheduler: %[1]s is its kubeconfig, %[2]s volplace's extender address.
// Extenders are global in kubescheduler.config.k8s.io/v1, so both profiles
// call volplace; the volplace-only profile also disables every in-tree
// volume plugin. Without VolumeBinding that profile does not provision or
// bind claims: use it with bound claims only.
const schedulerConfigTemplate = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %[1]s
leaderElection:
  leaderElect: false
profiles:
- schedulerName: ` + ProfileDefault + `
- schedulerName: ` + ProfileVolplaceOnly + `
  plugins:
    multiPoint:
      disabled:
      - name: VolumeBinding
      - name: VolumeZone
      - name: NodeVolumeLimits
      - name: VolumeRestrictions
extenders:
- urlPrefix: http://%[2]s
  filterVerb: filter
  prioritizeVerb: prioritize
  weight: 1
  nodeCacheCapable: true
  ignorable: false
  httpTimeout: 5s
`

// Framework is the running system under test.
type Framework struct {
	// Config reaches the API server as a member of system:masters.
	Config *rest.Config
	// Client is a clientset over Config.
	Client kubernetes.Interface
	// Volplace is the in-process `volplace serve`.
	Volplace *app.Server
	// SchedulerConfig is the KubeSchedulerConfiguration kube-scheduler runs
	// with.
	SchedulerConfig string
	// WebhookAddr is the host:port of volplace's admission webhooks.
	WebhookAddr string
	// WebhookCA signed the webhooks' serving certificate, in
	// WebhookCertDir; it is the caBundle of the suite's webhook
	// configurations.
	WebhookCA      *certs.KeyPair
	WebhookCertDir string

	dir          string
	keepDir      atomic.Bool
	env          *envtest.Environment
	volplaceLog  string
	volplaceStop context.CancelFunc
	volplaceDone chan error
	schedulerLog string
	scheduler    *exec.Cmd
	schedulerEnd chan struct{}
	webhooksOnce sync.Once
	webhooksErr  error
}

// Start brings up etcd and kube-apiserver, volplace (with its webhook
// configurations registered) and kube-scheduler, in that order. On error it
// stops what it started.
func Start(ctx context.Context, assets string) (f *Framework, err error) {
	f = &Framework{}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.diagnostics())
			f.keepDir.Store(true)
			err = errors.Join(err, f.Stop())
		}
	}()
	var missing []string
	for _, bin := range []string{"etcd", "kube-apiserver", "kube-scheduler"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("%s=%s lacks %s; hack/control-plane.sh builds them and prints the directory to use", harness.EnvAssets, assets, strings.Join(missing, ", "))
	}
	if f.dir, err = os.MkdirTemp("", "volplace-e2e-"); err != nil {
		return f, err
	}
	if err = f.startControlPlane(assets); err != nil {
		return f, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	if err = f.startVolplace(ctx); err != nil {
		return f, fmt.Errorf("starting volplace: %w", err)
	}
	if err = f.registerWebhooks(ctx); err != nil {
		return f, fmt.Errorf("registering volplace's webhooks: %w", err)
	}
	if err = f.startScheduler(ctx, assets); err != nil {
		return f, fmt.Errorf("starting kube-scheduler: %w", err)
	}
	return f, nil
}

func (f *Framework) startControlPlane(assets string) error {
	f.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  stopTimeout,
	}
	// No controller-manager creates the default ServiceAccount and no
	// node-lifecycle controller lifts the not-ready taint, so both admission
	// plugins would keep every pod from running or scheduling.
	// DefaultStorageClass runs before webhooks and would fill in the class
	// of claims before volplace's default-class webhook sees them
	// (docs/webhook.md, "Ordering with kube-apiserver").
	f.env.ControlPlane.GetAPIServer().Configure().
		Set("disable-admission-plugins", "ServiceAccount,TaintNodesByCondition,DefaultStorageClass")
	cfg, err := f.env.Start()
	if err != nil {
		return err
	}
	cfg = rest.CopyConfig(cfg)
	// The tests create objects from many goroutines at once.
	cfg.QPS, cfg.Burst = 500, 1000
	f.Config = cfg
	f.Client, err = kubernetes.NewForConfig(cfg)
	return err
}

func (f *Framework) startVolplace(ctx context.Context) error {
	f.volplaceLog = filepath.Join(f.dir, "volplace.log")
	out, err := os.Create(f.volplaceLog)
	if err != nil {
		return err
	}
	// V(5) logs every node volplace rejects and why: the first thing to read
	// when a pod lands in the wrong place.
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(5), textlogger.Output(out)))
	klog.SetLogger(logger) // client-go's global klog calls too

	// Set through the flags of `volplace serve`, as a user would: loopback,
	// kernel-chosen ports, and only the servers under test.
	o := options.NewServeOptions()
	fs := pflag.NewFlagSet("volplace serve", pflag.ContinueOnError)
	o.AddFlags(fs)
	args := []string{"--extender-bind-address=127.0.0.1:0", "--health-bind-address=127.0.0.1:0"}
	webhookArgs, err := f.setUpWebhookCerts()
	if err != nil {
		return fmt.Errorf("webhook certificates: %w", err)
	}
	args = append(args, webhookArgs...)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if errs := o.Validate(); len(errs) > 0 {
		return errors.Join(errs...)
	}
	cfg := rest.CopyConfig(f.Config)
	cfg.UserAgent = "volplace-e2e"
	runCtx, cancel := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	s, err := app.NewServer(runCtx, o, cfg)
	if err != nil {
		cancel()
		return err
	}
	f.Volplace, f.volplaceStop, f.volplaceDone = s, cancel, make(chan error, 1)
	go func() { f.volplaceDone <- s.Run(runCtx) }()

	readyz := "http://" + s.HealthAddr() + "/readyz"
	return harness.Poll(ctx, startTimeout, func() (bool, error) {
		select {
		case err := <-f.volplaceDone:
			f.volplaceDone <- err
			return false, fmt.Errorf("volplace exited early: %w", err)
		default:
		}
		code, _, err := harness.HTTPGet(ctx, http.DefaultClient, readyz)
		return err == nil && code == http.StatusOK, nil
	})
}

func (f *Framework) startScheduler(ctx context.Context, assets string) error {
	user, err := f.env.AddUser(envtest.User{Name: "volplace-e2e-scheduler", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	kubeconfigPath := filepath.Join(f.dir, "scheduler.kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	f.SchedulerConfig = fmt.Sprintf(schedulerConfigTemplate, kubeconfigPath, f.Volplace.ExtenderAddr())
	configPath := filepath.Join(f.dir, "scheduler-config.yaml")
	if err := os.WriteFile(configPath, []byte(f.SchedulerConfig), 0o600); err != nil {
		return err
	}
	port, err := harness.FreePort()
	if err != nil {
		return err
	}
	f.schedulerLog = filepath.Join(f.dir, "kube-scheduler.log")
	out, err := os.Create(f.schedulerLog)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(assets, "kube-scheduler"),
		"--config="+configPath,
		"--v=2",
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--authentication-kubeconfig="+kubeconfigPath,
		"--authorization-kubeconfig="+kubeconfigPath,
		// envtest's kube-apiserver has no front-proxy (requestheader) CA;
		// looking it up would fill the log with errors.
		"--authentication-skip-lookup=true",
	)
	cmd.Stdout, cmd.Stderr = out, out
	// Should the test binary die without its deferred teardown, take the
	// scheduler along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	f.scheduler, f.schedulerEnd = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(f.schedulerEnd)
	}()

	// /readyz includes the scheduler's informer sync.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	readyz := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	return harness.Poll(ctx, startTimeout, func() (bool, error) {
		select {
		case <-f.schedulerEnd:
			return false, fmt.Errorf("kube-scheduler exited early: %v", cmd.ProcessState)
		default:
		}
		code, _, err := harness.HTTPGet(ctx, client, readyz)
		return err == nil && code == http.StatusOK, nil
	})
}

// Stop tears everything down in reverse order: kube-scheduler, volplace,
// kube-apiserver and etcd. It is safe on a partly started Framework.
func (f *Framework) Stop() error {
	var errs []error
	if f.scheduler != nil {
		_ = harness.Terminate(f.scheduler.Process, f.schedulerEnd, stopTimeout)
	}
	if f.volplaceStop != nil {
		f.volplaceStop()
		select {
		case err := <-f.volplaceDone:
			if err != nil {
				errs = append(errs, fmt.Errorf("volplace: %w", err))
			}
		case <-time.After(stopTimeout):
			errs = append(errs, errors.New("volplace did not stop"))
		}
	}
	if f.env != nil {
		if err := f.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("envtest: %w", err))
		}
	}
	if f.dir != "" {
		if entries, _ := os.ReadDir(f.dir); f.keepDir.Load() && len(entries) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: logs kept in %s\n", f.dir)
		} else {
			_ = os.RemoveAll(f.dir)
		}
	}
	return errors.Join(errs...)
}

// KeepLogs keeps the temporary directory with kube-scheduler's and volplace's
// logs after Stop, for a failed run.
func (f *Framework) KeepLogs() { f.keepDir.Store(true) }

// SchedulerLogTail returns the last n lines of kube-scheduler's log.
func (f *Framework) SchedulerLogTail(n int) string { return harness.Tail(f.schedulerLog, n, "") }

// SchedulerLogAbout returns the last n lines of kube-scheduler's log that
// mention s (a pod's name, say).
func (f *Framework) SchedulerLogAbout(s string, n int) string {
	return harness.Tail(f.schedulerLog, n, s)
}

// VolplaceLogAbout returns the last n lines of volplace's log that mention s.
func (f *Framework) VolplaceLogAbout(s string, n int) string {
	return harness.Tail(f.volplaceLog, n, s)
}

func (f *Framework) diagnostics() error {
	var b strings.Builder
	if f.schedulerLog != "" {
		fmt.Fprintf(&b, "--- kube-scheduler log tail:\n%s\n", f.SchedulerLogTail(40))
	}
	if f.volplaceLog != "" {
		fmt.Fprintf(&b, "--- volplace log tail:\n%s\n", harness.Tail(f.volplaceLog, 20, ""))
	}
	if b.Len() == 0 {
		return nil
	}
	return errors.New(b.String())
}

// Metrics returns volplace's /metrics page.
func (f *Framework) Metrics(ctx context.Context) (string, error) {
	code, body, err := harness.HTTPGet(ctx, http.DefaultClient, "http://"+f.Volplace.HealthAddr()+"/metrics")
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("GET /metrics: HTTP %d: %s", code, body)
	}
	return string(body), nil
}
