package main

import (
	"fmt"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// controlPlaneTimeout bounds starting and stopping etcd and kube-apiserver.
const controlPlaneTimeout = 90 * time.Second

// controlPlane is etcd and kube-apiserver, with a kubeconfig for volplace.
type controlPlane struct {
	*harness.ControlPlane
	kubeconfig string
}

// startControlPlane starts etcd and kube-apiserver from assets and writes a
// system:masters kubeconfig for volplace to dir.
func startControlPlane(assets, dir string) (*controlPlane, error) {
	cp, err := harness.StartControlPlane(harness.ControlPlaneOptions{
		Assets: assets,
		// No controller-manager creates the default ServiceAccount, which
		// the ServiceAccount admission plugin would require of every pod;
		// nor does a node-lifecycle controller lift the taints
		// TaintNodesByCondition adds. The objects are created as
		// LargeCluster builds them.
		DisableAdmission: []string{"ServiceAccount", "TaintNodesByCondition"},
		StartTimeout:     controlPlaneTimeout,
	})
	if err != nil {
		return nil, err
	}
	c := &controlPlane{ControlPlane: cp}
	if c.kubeconfig, err = cp.Kubeconfig(dir, "volplace-memory"); err != nil {
		return c, fmt.Errorf("writing volplace's kubeconfig: %w", err)
	}
	return c, nil
}

// stop stops kube-apiserver and etcd.
func (c *controlPlane) stop() error { return c.Stop() }
