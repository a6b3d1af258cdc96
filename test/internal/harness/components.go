package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// ComponentStartTimeout bounds a component's wait for health.
const ComponentStartTimeout = 90 * time.Second

// StartKubeScheduler runs the kube-scheduler of assets with a
// KubeSchedulerConfiguration (whose clientConnection names kubeconfig), as
// dir/<name>.log, and waits for its /readyz, which includes the informer
// sync.
func StartKubeScheduler(ctx context.Context, assets, dir, name, kubeconfig, config string) (*Process, error) {
	return StartScheduler(ctx, filepath.Join(assets, "kube-scheduler"), dir, name, kubeconfig, config)
}

// StartScheduler is StartKubeScheduler for any kube-scheduler binary, such
// as volplace-scheduler (kube-scheduler with volplace's plugin, built by
// hack/volplace-scheduler.sh), without leader election.
func StartScheduler(ctx context.Context, bin, dir, name, kubeconfig, config string) (*Process, error) {
	p, readyz, err := LaunchScheduler(bin, dir, name, kubeconfig, config, "--leader-elect=false")
	if err != nil {
		return nil, err
	}
	if err := p.WaitHealthy(ctx, readyz, ComponentStartTimeout); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// LaunchScheduler runs a kube-scheduler binary with a configuration (in
// dir/<name>-config.yaml), as dir/<name>.log, serving on a free loopback
// port with kubeconfig for its delegated authentication and authorization,
// and returns at once with the URL of its /readyz: for a test that waits
// for it or expects it to stop. args are added to its command line.
func LaunchScheduler(bin, dir, name, kubeconfig, config string, args ...string) (*Process, string, error) {
	configPath := filepath.Join(dir, name+"-config.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return nil, "", err
	}
	p, port, err := launchComponent(name, dir, bin, kubeconfig, append([]string{"--config=" + configPath, "--v=2"}, args...)...)
	if err != nil {
		return nil, "", err
	}
	return p, fmt.Sprintf("https://127.0.0.1:%d/readyz", port), nil
}

// ShippedSchedulerConfig returns the KubeSchedulerConfiguration in the file
// at path, as a cluster would run it, with the test's kubeconfig and
// without leader election: the profiles and plugin args are the file's.
func ShippedSchedulerConfig(path, kubeconfig string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the scheduler configuration: %w", err)
	}
	var config map[string]any
	if err := yaml.UnmarshalStrict(data, &config); err != nil {
		return "", fmt.Errorf("decoding %s: %w", path, err)
	}
	config["clientConnection"] = map[string]any{"kubeconfig": kubeconfig}
	config["leaderElection"] = map[string]any{"leaderElect": false}
	out, err := yaml.Marshal(config)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", path, err)
	}
	return string(out), nil
}

// startComponent runs a Kubernetes component (launchComponent) and waits
// until path (/healthz, /readyz) answers 200.
func startComponent(ctx context.Context, name, dir, bin, kubeconfig, path string, args ...string) (*Process, error) {
	p, port, err := launchComponent(name, dir, bin, kubeconfig, args...)
	if err != nil {
		return nil, err
	}
	if err := p.WaitHealthy(ctx, fmt.Sprintf("https://127.0.0.1:%d%s", port, path), ComponentStartTimeout); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// launchComponent runs a Kubernetes component that serves HTTPS on a free
// loopback port, which it returns, authenticating and authorizing its
// callers through kubeconfig.
func launchComponent(name, dir, bin, kubeconfig string, args ...string) (*Process, int, error) {
	port, err := FreePort()
	if err != nil {
		return nil, 0, err
	}
	p, err := StartProcess(name, dir, bin, append(args,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
		// envtest's kube-apiserver has no front-proxy (requestheader) CA;
		// looking it up would fill the log with errors.
		"--authentication-skip-lookup=true",
	), nil)
	if err != nil {
		return nil, 0, err
	}
	return p, port, nil
}

// ControllerManagerControllers are the kube-controller-manager controllers
// the storage stack runs: binding and protection of claims and volumes,
// attach and detach, StatefulSets and their claims, generic ephemeral
// volumes, garbage collection of owned objects and of pods on deleted
// nodes, and service accounts.
var ControllerManagerControllers = []string{
	"persistentvolume-binder-controller",
	"persistentvolume-attach-detach-controller",
	"persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller",
	"ephemeral-volume-controller",
	"statefulset-controller",
	"garbage-collector-controller",
	"pod-garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
}

// ControllerManagerConfig configures StartControllerManager.
type ControllerManagerConfig struct {
	// Assets holds the binary, Dir gets its log.
	Assets, Dir string
	// Kubeconfig reaches kube-apiserver as a member of system:masters.
	Kubeconfig string
	// ServiceAccountKey is the private key kube-apiserver verifies service
	// account tokens with, RootCA the CA put in their namespaces.
	ServiceAccountKey, RootCA string
}

// StartControllerManager runs kube-controller-manager with
// ControllerManagerControllers and waits for its /healthz.
func StartControllerManager(ctx context.Context, c ControllerManagerConfig) (*Process, error) {
	return startComponent(ctx, "kube-controller-manager", c.Dir, filepath.Join(c.Assets, "kube-controller-manager"), c.Kubeconfig, "/healthz",
		"--kubeconfig="+c.Kubeconfig,
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--controllers="+strings.Join(ControllerManagerControllers, ","),
		"--service-account-private-key-file="+c.ServiceAccountKey,
		"--root-ca-file="+c.RootCA,
		// The scenarios wait on the controllers: let them react at once.
		"--concurrent-statefulset-syncs=5",
		"--v=2",
	)
}
