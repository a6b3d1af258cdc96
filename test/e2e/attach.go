package e2e

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Attach returns a Framework over a control plane that another suite
// starts, restarts and stops itself (test/faults kills and restarts its
// components, so it cannot share this package's). The Framework has the
// clients only: no volplace or kube-scheduler of its own, so Scenario's
// SyncVolplace does not apply to it, and its Stop leaves the control plane
// running. Pass it to UseFramework so that NewScenario writes through it.
func Attach(cfg *rest.Config) (*Framework, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return &Framework{Config: cfg, Client: client}, nil
}

// UseFramework makes NewScenario create its scenarios on f, for a suite
// whose TestMain is not this package's. Call it once, before the tests run.
func UseFramework(f *Framework) { fw = f }
