package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/volplace/volplace/test/internal/harness"
)

// Control plane settings.
const (
	startTimeout = 90 * time.Second
	// clientQPS lets the parallel creators run unthrottled.
	clientQPS = 5000
)

// controlPlane is a fresh etcd and kube-apiserver.
type controlPlane struct {
	env *envtest.Environment
	// Client is a clientset of system:masters.
	Client kubernetes.Interface
	// Kubeconfig is the path of a system:masters kubeconfig, for
	// kube-scheduler and volplace.
	Kubeconfig string
}

// checkAssets fails unless dir holds the binaries a run needs.
func checkAssets(dir string) error {
	if dir == "" {
		return fmt.Errorf("no control plane: set --assets or %s to the directory that `hack/control-plane.sh` prints", harness.EnvAssets)
	}
	var missing []string
	for _, bin := range []string{"etcd", "kube-apiserver", "kube-scheduler"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks %s; hack/control-plane.sh builds them and prints the directory to use", dir, strings.Join(missing, ", "))
	}
	return nil
}

// startControlPlane starts etcd and kube-apiserver from assets and writes
// a kubeconfig into dir.
func startControlPlane(assets, dir string) (*controlPlane, error) {
	c := &controlPlane{env: &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  harness.StopTimeout,
	}}
	// No controller-manager creates ServiceAccounts and no node-lifecycle
	// controller lifts the not-ready taint: both admission plugins would
	// keep pods from being created or scheduled.
	c.env.ControlPlane.GetAPIServer().Configure().Set("disable-admission-plugins", "ServiceAccount,TaintNodesByCondition")
	cfg, err := c.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	if err := c.setUp(cfg, dir); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

func (c *controlPlane) setUp(cfg *rest.Config, dir string) error {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = clientQPS, clientQPS
	cfg.UserAgent = "throughput-benchmark"
	var err error
	if c.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	user, err := c.env.AddUser(envtest.User{Name: "throughput-benchmark", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding a user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing a kubeconfig: %w", err)
	}
	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	return os.WriteFile(c.Kubeconfig, kubeconfig, 0o600)
}

// Stop stops kube-apiserver and etcd and removes their data.
func (c *controlPlane) Stop() error {
	if err := c.env.Stop(); err != nil {
		return fmt.Errorf("stopping etcd and kube-apiserver: %w", err)
	}
	return nil
}
