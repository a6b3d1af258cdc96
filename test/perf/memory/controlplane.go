package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// controlPlaneTimeout bounds starting and stopping etcd and kube-apiserver.
const controlPlaneTimeout = 90 * time.Second

// controlPlane is etcd and kube-apiserver, with a kubeconfig for volplace.
type controlPlane struct {
	env        *envtest.Environment
	config     *rest.Config
	kubeconfig string
}

// startControlPlane starts etcd and kube-apiserver from assets and writes a
// system:masters kubeconfig for volplace to dir.
func startControlPlane(assets, dir string) (*controlPlane, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: controlPlaneTimeout,
		ControlPlaneStopTimeout:  controlPlaneTimeout,
	}
	// No controller-manager creates the default ServiceAccount, which the
	// ServiceAccount admission plugin would require of every pod; nor does
	// a node-lifecycle controller lift the taints TaintNodesByCondition
	// adds. The objects are created as LargeCluster builds them.
	env.ControlPlane.GetAPIServer().Configure().Set("disable-admission-plugins", "ServiceAccount,TaintNodesByCondition")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	cp := &controlPlane{env: env, config: cfg}
	user, err := env.AddUser(envtest.User{Name: "volplace-memory", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return cp, fmt.Errorf("adding volplace's user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return cp, fmt.Errorf("writing volplace's kubeconfig: %w", err)
	}
	cp.kubeconfig = filepath.Join(dir, "volplace.kubeconfig")
	if err := os.WriteFile(cp.kubeconfig, kubeconfig, 0o600); err != nil {
		return cp, fmt.Errorf("writing volplace's kubeconfig: %w", err)
	}
	return cp, nil
}

// stop stops kube-apiserver and etcd.
func (cp *controlPlane) stop() error {
	if err := cp.env.Stop(); err != nil {
		return fmt.Errorf("stopping etcd and kube-apiserver: %w", err)
	}
	return nil
}
