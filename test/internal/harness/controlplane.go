package harness

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
)

// ControlPlaneOptions configure StartControlPlane.
type ControlPlaneOptions struct {
	// Assets holds etcd and kube-apiserver (KUBEBUILDER_ASSETS).
	Assets string
	// DisableAdmission lists the admission plugins kube-apiserver runs
	// without. Without kube-controller-manager, ServiceAccount (no default
	// ServiceAccount is created) and TaintNodesByCondition (no controller
	// lifts the not-ready taint) keep pods from running or scheduling.
	DisableAdmission []string
	// Configure, if set, edits kube-apiserver before it starts: flags,
	// certificate directory, address, output.
	Configure func(*envtest.APIServer) error
	// CRDPaths are CustomResourceDefinitions to install, each path a file
	// or directory that must exist.
	CRDPaths []string
	// QPS and Burst of Config; 0 keeps client-go's defaults.
	QPS   float32
	Burst int
	// StartTimeout bounds the start and the stop; ComponentStartTimeout if 0.
	StartTimeout time.Duration
}

// ControlPlane is etcd and kube-apiserver, started by controller-runtime's
// envtest from the project's own binaries.
type ControlPlane struct {
	Env *envtest.Environment
	// Config reaches kube-apiserver as a member of system:masters; Client
	// is a clientset over it.
	Config *rest.Config
	Client kubernetes.Interface
}

// StartControlPlane starts etcd and kube-apiserver. On error it stops what
// it started.
func StartControlPlane(o ControlPlaneOptions) (*ControlPlane, error) {
	timeout := o.StartTimeout
	if timeout == 0 {
		timeout = ComponentStartTimeout
	}
	c := &ControlPlane{Env: &envtest.Environment{
		BinaryAssetsDirectory:    o.Assets,
		ControlPlaneStartTimeout: timeout,
		ControlPlaneStopTimeout:  timeout,
		CRDInstallOptions:        envtest.CRDInstallOptions{Paths: o.CRDPaths, ErrorIfPathMissing: true},
	}}
	api := c.Env.ControlPlane.GetAPIServer()
	if len(o.DisableAdmission) > 0 {
		api.Configure().Set("disable-admission-plugins", strings.Join(o.DisableAdmission, ","))
	}
	if o.Configure != nil {
		if err := o.Configure(api); err != nil {
			return nil, err
		}
	}
	cfg, err := c.Env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	if o.QPS > 0 {
		cfg.QPS, cfg.Burst = o.QPS, o.Burst
	}
	c.Config = cfg
	if c.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

// Kubeconfig writes dir/<user>.kubeconfig for a new member of
// system:masters, for the components started as processes, and returns its
// path.
func (c *ControlPlane) Kubeconfig(dir, user string) (string, error) {
	u, err := c.Env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("adding user %s: %w", user, err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig of %s: %w", user, err)
	}
	path := filepath.Join(dir, user+".kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// Stop stops kube-apiserver and etcd; safe on nil.
func (c *ControlPlane) Stop() error {
	if c == nil || c.Env == nil {
		return nil
	}
	if err := c.Env.Stop(); err != nil {
		return fmt.Errorf("stopping etcd and kube-apiserver: %w", err)
	}
	return nil
}
