package faults

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/test/internal/harness"
)

// A child test binary with envRole=roleVolplace in its environment runs
// `volplace` with its arguments instead of the tests (TestMain), so that the
// suite can SIGKILL a real volplace process without building the binary.
const (
	envRole      = "VOLPLACE_FAULTS_ROLE"
	roleVolplace = "volplace"
)

// volplaceAddrs are the addresses every volplace of the suite serves on, one
// at a time: kube-scheduler's configuration and the webhook proxy name them,
// so a restarted volplace must come back on the same ones.
type volplaceAddrs struct {
	extender, health, webhook string
}

// volplace is a `volplace serve` child process.
type volplace struct {
	*process
	addrs volplaceAddrs
}

// startVolplace starts `volplace serve` reading the API through kubeconfig,
// serving the webhooks with the certificates of certDir, and logging at
// -v=4 (each request, and client-go's watch restarts) to a new file in dir.
// It does not wait for readiness.
func startVolplace(dir, name, kubeconfig, certDir string, addrs volplaceAddrs) (*volplace, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, err := startProcess("volplace "+name, filepath.Join(dir, "volplace-"+name+".log"), []string{envRole + "=" + roleVolplace}, self,
		"serve",
		"--kubeconfig="+kubeconfig,
		"--extender-bind-address="+addrs.extender,
		"--health-bind-address="+addrs.health,
		"--webhook-bind-address="+addrs.webhook,
		"--cert-dir="+certDir,
		"-v=4",
	)
	if err != nil {
		return nil, err
	}
	p.cleanExit = true
	return &volplace{process: p, addrs: addrs}, nil
}

// ready reports whether /readyz answers 200; an error means no answer.
func (v *volplace) ready(ctx context.Context) (bool, error) {
	code, _, err := harness.HTTPGet(ctx, http.DefaultClient, "http://"+v.addrs.health+"/readyz")
	return code == http.StatusOK, err
}

// waitReady waits until /readyz answers 200 and returns how long it took.
func (v *volplace) waitReady(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	err := harness.Poll(ctx, timeout, func() (bool, error) {
		if done, _ := v.exited(); done {
			return false, v.earlyExit()
		}
		ok, _ := v.ready(ctx)
		return ok, nil
	})
	return time.Since(start), err
}

// filter sends kube-scheduler's filter request for the pod and nodes, in
// nodeCacheCapable mode, and returns volplace's answer.
func (v *volplace) filter(ctx context.Context, pod *corev1.Pod, nodes []string) (*extenderv1.ExtenderFilterResult, error) {
	var result extenderv1.ExtenderFilterResult
	if err := postJSON(ctx, "http://"+v.addrs.extender+extender.FilterPath, &extenderv1.ExtenderArgs{Pod: pod, NodeNames: &nodes}, &result); err != nil {
		return nil, err
	}
	return &result, nil
}

// verdicts summarises a filter answer: the nodes that pass, then each
// failed node with its reason, sorted, or the answer's error.
func verdicts(r *extenderv1.ExtenderFilterResult) []string {
	if r.Error != "" {
		return []string{"error: " + r.Error}
	}
	var out []string
	if r.NodeNames != nil {
		for _, n := range *r.NodeNames {
			out = append(out, n+": fits")
		}
	}
	for _, m := range []extenderv1.FailedNodesMap{r.FailedNodes, r.FailedAndUnresolvableNodes} {
		for n, reason := range m {
			out = append(out, n+": "+reason)
		}
	}
	slices.Sort(out)
	return out
}

// counter returns the value of a counter series of /metrics, selected by
// its name and labels written as in the exposition format, e.g.
// `volplace_extender_requests_total{code="200",verb="filter"}`.
func (v *volplace) counter(ctx context.Context, series string) (float64, error) {
	code, body, err := harness.HTTPGet(ctx, http.DefaultClient, "http://"+v.addrs.health+"/metrics")
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: HTTP %d", code)
	}
	for line := range strings.Lines(string(body)) {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return strconv.ParseFloat(value, 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no series %s", series)
}
