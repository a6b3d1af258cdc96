package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/volplace/volplace/certs"
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

// Profiles lists the profiles the scenarios run under: both of
// kube-scheduler's, and ProfileVolplaceScheduler when volplace-scheduler
// runs (TestMain adds it).
var Profiles = []string{ProfileDefault, ProfileVolplaceOnly}

// ProfileVolplaceScheduler is the profile of volplace-scheduler, kube-scheduler
// with volplace's plugin instead of the extender, started when
// EnvVolplaceScheduler names its binary.
const ProfileVolplaceScheduler = "volplace-scheduler"

// EnvVolplaceScheduler names the volplace-scheduler binary:
// VOLPLACE_SCHEDULER="$(hack/volplace-scheduler.sh)".
const EnvVolplaceScheduler = harness.EnvVolplaceScheduler

// volplaceSchedulerConfig is volplace-scheduler's configuration as
// shipped: its profile, named ProfileVolplaceScheduler, and the plugin's
// args are run as they are.
const volplaceSchedulerConfig = "../../manifests/scheduler/volplace-scheduler-config.yaml"

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
const schedulerConfigTemplate = schedulerConfigHeader + `profiles:
- schedulerName: ` + ProfileDefault + `
- schedulerName: ` + ProfileVolplaceOnly + `
  plugins:
    multiPoint:
      disabled:
      - name: VolumeBinding
      - name: VolumeZone
      - name: NodeVolumeLimits
      - name: VolumeRestrictions
` + extenderConfig

// extenderConfig is the extenders stanza of the suite's kube-scheduler
// configurations: %[2]s is volplace's extender address.
const extenderConfig = `extenders:
- urlPrefix: http://%[2]s
  filterVerb: filter
  prioritizeVerb: prioritize
  weight: 1
  nodeCacheCapable: true
  ignorable: false
  httpTimeout: 5s
`

// ProfileInTree is the profile of a second kube-scheduler, started with
// Options.Storage, that runs kube-scheduler's in-tree plugins alone, without
// volplace: the baseline volplace is compared with.
const ProfileInTree = "in-tree"

// inTreeSchedulerConfigTemplate configures that kube-scheduler: %[1]s is its
// kubeconfig.
const inTreeSchedulerConfigTemplate = schedulerConfigHeader + `profiles:
- schedulerName: ` + ProfileInTree + `
`

// schedulerConfigHeader starts both kube-schedulers' configurations: %[1]s
// is the kubeconfig.
const schedulerConfigHeader = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %[1]s
leaderElection:
  leaderElect: false
`

// Options select what Start runs beyond kube-apiserver, etcd, volplace and
// kube-scheduler.
type Options struct {
	// Storage also starts kube-controller-manager (harness.
	// ControllerManagerControllers) and a second kube-scheduler with
	// profile ProfileInTree; CSI drivers are then started with
	// Framework.StorageEnv and harness.StartDriver. It needs the binaries
	// of `hack/control-plane.sh --storage`.
	Storage bool
}

// Framework is the running system under test.
type Framework struct {
	// Config reaches the API server as a member of system:masters.
	Config *rest.Config
	// Client is a clientset over Config.
	Client kubernetes.Interface
	// Volplace is the in-process `volplace serve`.
	Volplace *harness.Volplace
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

	// Kubeconfig is a kubeconfig file for a member of system:masters,
	// for the components started as processes.
	Kubeconfig string

	assets      string
	dir         string
	keepDir     atomic.Bool
	cp          *harness.ControlPlane
	volplaceLog string
	scheduler   *harness.Process
	inTree      *harness.Process
	// volplaceScheduler runs when EnvVolplaceScheduler is set.
	volplaceScheduler *harness.Process
	controllerMgr     *harness.Process
	webhooksOnce      sync.Once
	webhooksErr       error
}

// Start brings up etcd and kube-apiserver, volplace (with its webhook
// configurations registered) and kube-scheduler, in that order. On error it
// stops what it started.
func Start(ctx context.Context, assets string) (*Framework, error) {
	return StartWith(ctx, assets, Options{})
}

// StartWith is Start, with the components opts adds.
func StartWith(ctx context.Context, assets string, opts Options) (f *Framework, err error) {
	f = &Framework{assets: assets}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.diagnostics())
			f.keepDir.Store(true)
			err = errors.Join(err, f.Stop())
		}
	}()
	var missing []string
	bins := []string{"etcd", "kube-apiserver", "kube-scheduler"}
	if opts.Storage {
		bins = append(bins, "kube-controller-manager", "csi-provisioner", "csi-attacher")
	}
	for _, bin := range bins {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("%s=%s lacks %s; hack/control-plane.sh --storage builds them and prints the directory to use", harness.EnvAssets, assets, strings.Join(missing, ", "))
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
	if err = f.writeKubeconfig(); err != nil {
		return f, err
	}
	if err = f.startScheduler(ctx); err != nil {
		return f, fmt.Errorf("starting kube-scheduler: %w", err)
	}
	if opts.Storage {
		if err = f.startStorageComponents(ctx); err != nil {
			return f, err
		}
	}
	if bin := os.Getenv(EnvVolplaceScheduler); bin != "" {
		config, err := harness.ShippedSchedulerConfig(volplaceSchedulerConfig, f.Kubeconfig)
		if err != nil {
			return f, err
		}
		f.volplaceScheduler, err = harness.StartScheduler(ctx, bin, f.dir, "volplace-scheduler", f.Kubeconfig, config)
		if err != nil {
			return f, fmt.Errorf("starting volplace-scheduler: %w", err)
		}
	}
	return f, nil
}

// RunsVolplaceScheduler reports whether volplace-scheduler runs, with
// profile ProfileVolplaceScheduler.
func (f *Framework) RunsVolplaceScheduler() bool { return f.volplaceScheduler != nil }

// startStorageComponents starts kube-controller-manager and the in-tree
// kube-scheduler.
func (f *Framework) startStorageComponents(ctx context.Context) error {
	certDir := f.cp.Env.ControlPlane.APIServer.CertDir
	rootCA := filepath.Join(f.dir, "root-ca.crt")
	if err := os.WriteFile(rootCA, f.Config.CAData, 0o600); err != nil {
		return err
	}
	var err error
	f.controllerMgr, err = harness.StartControllerManager(ctx, harness.ControllerManagerConfig{
		Assets: f.assets, Dir: f.dir, Kubeconfig: f.Kubeconfig,
		ServiceAccountKey: filepath.Join(certDir, "sa-signer.key"), RootCA: rootCA,
	})
	if err != nil {
		return fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	f.inTree, err = harness.StartKubeScheduler(ctx, f.assets, f.dir, "kube-scheduler-in-tree", f.Kubeconfig,
		fmt.Sprintf(inTreeSchedulerConfigTemplate, f.Kubeconfig))
	if err != nil {
		return fmt.Errorf("starting the in-tree kube-scheduler: %w", err)
	}
	return nil
}

// StorageEnv is what harness.StartDriver needs of the framework.
func (f *Framework) StorageEnv() harness.StorageEnv {
	return harness.StorageEnv{Client: f.Client, Kubeconfig: f.Kubeconfig, Assets: f.assets, Dir: f.dir}
}

// writeKubeconfig writes Kubeconfig, for a system:masters user.
func (f *Framework) writeKubeconfig() (err error) {
	f.Kubeconfig, err = f.cp.Kubeconfig(f.dir, "volplace-e2e-admin")
	return err
}

func (f *Framework) startControlPlane(assets string) (err error) {
	f.cp, err = harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets: assets,
		// No controller-manager creates the default ServiceAccount and no
		// node-lifecycle controller lifts the not-ready taint, so both
		// admission plugins would keep every pod from running or
		// scheduling. DefaultStorageClass stays on, as on every managed
		// cluster: it fills in the class of claims before volplace's
		// default-class webhook sees them, and volplace must tell its class
		// from the user's (docs/webhook.md, "Ordering with kube-apiserver").
		DisableAdmission: []string{"ServiceAccount", "TaintNodesByCondition"},
		// The tests create objects from many goroutines at once.
		QPS: 500, Burst: 1000,
		StartTimeout: startTimeout,
	})
	if err != nil {
		return err
	}
	f.Config, f.Client = f.cp.Config, f.cp.Client
	return nil
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
	args := []string{"--extender-bind-address=127.0.0.1:0", "--health-bind-address=127.0.0.1:0"}
	webhookArgs, err := f.setUpWebhookCerts()
	if err != nil {
		return fmt.Errorf("webhook certificates: %w", err)
	}
	if f.Volplace, err = harness.StartVolplace(ctx, f.Config, "e2e", logger, append(args, webhookArgs...)...); err != nil {
		return err
	}
	return f.Volplace.WaitReady(ctx, startTimeout)
}

func (f *Framework) startScheduler(ctx context.Context) error {
	f.SchedulerConfig = fmt.Sprintf(schedulerConfigTemplate, f.Kubeconfig, f.Volplace.ExtenderAddr())
	p, err := harness.StartKubeScheduler(ctx, f.assets, f.dir, "kube-scheduler", f.Kubeconfig, f.SchedulerConfig)
	if err != nil {
		return err
	}
	f.scheduler = p
	return nil
}

// Stop tears everything down in reverse order: kube-scheduler, volplace,
// kube-apiserver and etcd. It is safe on a partly started Framework.
func (f *Framework) Stop() error {
	var errs []error
	for _, p := range []*harness.Process{f.volplaceScheduler, f.inTree, f.controllerMgr, f.scheduler} {
		if err := p.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if f.Volplace != nil {
		if err := f.Volplace.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.cp.Stop(); err != nil {
		errs = append(errs, err)
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
func (f *Framework) SchedulerLogTail(n int) string { return f.scheduler.Tail(n, "") }

// SchedulerLogAbout returns the last n lines of kube-scheduler's log that
// mention s (a pod's name, say).
func (f *Framework) SchedulerLogAbout(s string, n int) string {
	return f.scheduler.Tail(n, s)
}

// VolplaceLogAbout returns the last n lines of volplace's log that mention s.
func (f *Framework) VolplaceLogAbout(s string, n int) string {
	return harness.Tail(f.volplaceLog, n, s)
}

func (f *Framework) diagnostics() error {
	var b strings.Builder
	if f.scheduler != nil {
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
