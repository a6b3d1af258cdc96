package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/test/internal/harness"
)

// Scheduler names of the suite's pods. Extenders are global to a
// KubeSchedulerConfiguration, so ignorable: true and ignorable: false need
// two kube-scheduler processes.
const (
	// profileIgnorable is kube-scheduler's default plugins with volplace as
	// an ignorable extender, as shipped.
	profileIgnorable = "faults-ignorable"
	// profileIgnorableVolplaceOnly disables the in-tree volume plugins:
	// volplace alone checks volumes, when it answers.
	profileIgnorableVolplaceOnly = "faults-ignorable-vponly"
	// profileRequired is the default plugins with volplace as a required
	// (ignorable: false) extender.
	profileRequired = "faults-required"
)

// inTreeVolumePlugins are the plugins profileIgnorableVolplaceOnly
// disables.
var inTreeVolumePlugins = []string{"VolumeBinding", "VolumeZone", "NodeVolumeLimits", "VolumeRestrictions"}

// schedulerSpec describes one kube-scheduler of the suite.
type schedulerSpec struct {
	name      string
	ignorable bool
	// profiles are its scheduler names; volplaceOnly those that disable
	// inTreeVolumePlugins.
	profiles, volplaceOnly []string
}

// schedulerSpecs are the suite's two kube-schedulers.
var schedulerSpecs = []schedulerSpec{
	{name: "ignorable", ignorable: true, profiles: []string{profileIgnorable, profileIgnorableVolplaceOnly}, volplaceOnly: []string{profileIgnorableVolplaceOnly}},
	{name: "required", ignorable: false, profiles: []string{profileRequired}},
}

// config returns the KubeSchedulerConfiguration that `volplace config
// scheduler --ignorable=<spec's> --url http://<extenderAddr>` prints (the
// shipped extender stanza: weight 1, nodeCacheCapable, httpTimeout 2s),
// with the spec's profiles, kubeconfig and no leader election.
func (s schedulerSpec) config(kubeconfig, extenderAddr string) ([]byte, error) {
	o := app.NewSchedulerConfigOptions()
	o.URL, o.Kubeconfig, o.Ignorable = "http://"+extenderAddr, kubeconfig, s.ignorable
	if errs := o.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var printed bytes.Buffer
	if err := o.Run(&printed); err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(printed.Bytes(), &cfg); err != nil {
		return nil, fmt.Errorf("decoding `volplace config scheduler` output: %w", err)
	}
	var disabled []any
	for _, p := range inTreeVolumePlugins {
		disabled = append(disabled, map[string]any{"name": p})
	}
	var profiles []any
	for _, name := range s.profiles {
		profile := map[string]any{"schedulerName": name}
		if slices.Contains(s.volplaceOnly, name) {
			profile["plugins"] = map[string]any{"multiPoint": map[string]any{"disabled": disabled}}
		}
		profiles = append(profiles, profile)
	}
	cfg["profiles"] = profiles
	cfg["leaderElection"] = map[string]any{"leaderElect": false}
	return yaml.Marshal(cfg)
}

// kubeScheduler is a kube-scheduler child process.
type kubeScheduler struct {
	*process
	spec   schedulerSpec
	readyz string
}

// startScheduler writes the spec's configuration to dir and starts
// kube-scheduler from assets with it, then waits for its /readyz (which
// includes its informers' sync).
func startScheduler(ctx context.Context, dir, assets, kubeconfig, extenderAddr string, spec schedulerSpec) (*kubeScheduler, error) {
	config, err := spec.config(kubeconfig, extenderAddr)
	if err != nil {
		return nil, err
	}
	configPath := filepath.Join(dir, "scheduler-"+spec.name+".yaml")
	if err := os.WriteFile(configPath, config, 0o600); err != nil {
		return nil, err
	}
	port, err := harness.FreePort()
	if err != nil {
		return nil, err
	}
	p, err := startProcess("kube-scheduler "+spec.name, filepath.Join(dir, "scheduler-"+spec.name+".log"), nil,
		filepath.Join(assets, "kube-scheduler"),
		"--config="+configPath,
		"--v=2",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
		// envtest's kube-apiserver has no front-proxy CA to look up.
		"--authentication-skip-lookup=true",
	)
	if err != nil {
		return nil, err
	}
	s := &kubeScheduler{process: p, spec: spec, readyz: fmt.Sprintf("https://127.0.0.1:%d/readyz", port)}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a self-signed loopback health endpoint
	err = harness.Poll(ctx, startTimeout, func() (bool, error) {
		if done, _ := s.exited(); done {
			return false, s.earlyExit()
		}
		code, _, err := harness.HTTPGet(ctx, client, s.readyz)
		return err == nil && code == http.StatusOK, nil
	})
	if err != nil {
		_ = s.stop(stopTimeout)
		return nil, fmt.Errorf("waiting for %s: %w", s.name, err)
	}
	return s, nil
}

// skippedExtender counts the times this kube-scheduler went on without
// volplace because it was ignorable and did not answer.
func (s *kubeScheduler) skippedExtender() int {
	const line = "Skipping extender as it returned error and has ignorable flag set"
	if out := s.tail(1<<20, line); out != "" {
		return strings.Count(out, "\n") + 1
	}
	return 0
}
