package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	*harness.ControlPlane
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
	cp, err := harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets: assets,
		// No controller-manager creates ServiceAccounts and no
		// node-lifecycle controller lifts the not-ready taint: both
		// admission plugins would keep pods from being created or
		// scheduled.
		DisableAdmission: []string{"ServiceAccount", "TaintNodesByCondition"},
		// The parallel creators run unthrottled.
		QPS: clientQPS, Burst: clientQPS,
		StartTimeout: startTimeout,
	})
	if err != nil {
		return nil, err
	}
	c := &controlPlane{ControlPlane: cp}
	if c.Kubeconfig, err = cp.Kubeconfig(dir, "throughput-benchmark"); err != nil {
		return nil, errors.Join(err, cp.Stop())
	}
	return c, nil
}
