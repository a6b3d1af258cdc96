package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// chartDir is the Helm chart, relative to the repository root.
const chartDir = "charts/volplace"

// helmBuildTimeout bounds hack/helm.sh: a cold build of helm takes a few
// minutes on two busy cores; `make test` builds it before the tests start.
const helmBuildTimeout = 15 * time.Minute

// helmValueSets are the chart's values sets the tests render, each with the
// kustomizations whose output it must equal. values is a file under
// testdata/helm ("" for the chart's defaults).
var helmValueSets = []struct {
	name, values  string
	kustomize     []string
	withNamespace bool // the set renders the Namespace (namespace.create)
}{
	{name: "default", kustomize: []string{"manifests/overlays/self-signed"}},
	{name: "cert-manager", values: "cert-manager.yaml", kustomize: []string{"manifests/overlays/cert-manager"}, withNamespace: true},
	{name: "secondary-scheduler", values: "secondary-scheduler.yaml", kustomize: []string{"manifests/overlays/secondary-scheduler"}},
	{name: "volplace-scheduler", values: "volplace-scheduler.yaml", kustomize: []string{"manifests/overlays/volplace-scheduler"}},
	{name: "monitoring", values: "monitoring.yaml", kustomize: []string{"manifests/overlays/self-signed", "manifests/monitoring"}, withNamespace: true},
}

// helmTool is the helm binary hack/helm.sh builds once (pinned by
// hack/tools/helm) and caches; all tests share one lookup.
var helmTool struct {
	once sync.Once
	path string
	err  error
}

// helmPath returns helm's path. When it cannot be built (no module proxy),
// the test is skipped, or fails under VOLPLACE_E2E_REQUIRED=1 as a missing
// control plane does.
func helmPath(t *testing.T) string {
	t.Helper()
	helmTool.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), helmBuildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, cl.path("hack/helm.sh"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			helmTool.err = fmt.Errorf("hack/helm.sh: %w\n%s", err, stderr.String())
			return
		}
		helmTool.path = strings.TrimSpace(stdout.String())
	})
	if helmTool.err != nil {
		if os.Getenv(harness.EnvRequired) == "1" {
			t.Fatalf("%s=1 but helm is not available: %v", harness.EnvRequired, helmTool.err)
		}
		t.Skipf("helm is not available: %v", helmTool.err)
	}
	return helmTool.path
}

// runHelm runs helm in the repository root with its configuration, cache
// and data directories under the test's temporary directory, so that the
// user's repositories and plugins play no part.
func runHelm(t *testing.T, args ...string) kubectlResult {
	t.Helper()
	helm := helmPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.Dir = cl.repo
	home := filepath.Join(cl.dir, "helm-home")
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+cl.kubeconfig,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("helm %s: %w", strings.Join(args, " "), err)
	}
	return kubectlResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// valuesArgs is the -f flag of a values set.
func valuesArgs(values string) []string {
	if values == "" {
		return nil
	}
	return []string{"-f", filepath.Join("test", "deploy", "testdata", "helm", values)}
}

// helmTemplate renders the chart as release "volplace" in volplace-system,
// the names manifests/ uses.
func helmTemplate(t *testing.T, values string, extra ...string) string {
	t.Helper()
	args := append([]string{"template", "volplace", chartDir, "--namespace", installNamespace}, valuesArgs(values)...)
	r := runHelm(t, append(args, extra...)...)
	if r.Err != nil {
		t.Fatalf("%v", r)
	}
	return r.Stdout
}

// TestHelmLint runs `helm lint --strict` (warnings fail) on the chart with
// each values set; lint also validates the values against values.schema.json.
func TestHelmLint(t *testing.T) {
	cl.keepOnFailure(t)
	for _, set := range helmValueSets {
		t.Run(set.name, func(t *testing.T) {
			t.Parallel()
			r := runHelm(t, append([]string{"lint", "--strict", chartDir, "--namespace", installNamespace}, valuesArgs(set.values)...)...)
			if r.Err != nil {
				t.Fatalf("helm lint failed:\n%v", r)
			}
		})
	}
}

// TestHelmTemplateDryRun sends each values set's `helm template` output
// through kube-apiserver's validation and admission, as
// TestKustomizationsDryRun does for the kustomizations; warnings fail.
func TestHelmTemplateDryRun(t *testing.T) {
	cl.keepOnFailure(t)
	for _, set := range helmValueSets {
		t.Run(set.name, func(t *testing.T) {
			t.Parallel()
			rendered := helmTemplate(t, set.values)
			file := filepath.Join(cl.dir, "helm-"+set.name+".yaml")
			if err := os.WriteFile(file, []byte(rendered), 0o600); err != nil {
				t.Fatal(err)
			}
			// The rendered Namespace exists already (TestMain creates it from
			// manifests/base), as it must before `helm install`.
			r := cl.runKubectl(t.Context(), "apply", "-f", file, "--dry-run=server")
			if r.Err != nil {
				t.Fatalf("kubectl apply --dry-run=server of helm template (%s) failed:\n%v", file, r)
			}
			if w := warnings(r.Stderr); len(w) > 0 {
				t.Errorf("kubectl apply --dry-run=server of helm template (%s) warned:\n%s", file, strings.Join(w, "\n"))
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("kubectl apply --dry-run=server of %s:\n%s%s", file, r.Stdout, r.Stderr)
			}
		})
	}
}

// TestHelmMatchesKustomize checks that each values set renders the objects
// of its kustomizations, compared as normalizeForCompare describes.
func TestHelmMatchesKustomize(t *testing.T) {
	cl.keepOnFailure(t)
	for _, set := range helmValueSets {
		t.Run(set.name, func(t *testing.T) {
			t.Parallel()
			helmObjs, err := decodeObjects(helmTemplate(t, set.values))
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			var kustomizeObjs []object
			for _, dir := range set.kustomize {
				objs, err := decodeObjects(cl.kubectlOrFail(t, "kustomize", cl.path(dir)))
				if err != nil {
					t.Fatalf("kubectl kustomize %s: %v", dir, err)
				}
				kustomizeObjs = append(kustomizeObjs, objs...)
			}
			if !set.withNamespace {
				kustomizeObjs = withoutKind(kustomizeObjs, "Namespace")
			}
			if diff := compareRenderings(kustomizeObjs, helmObjs); diff != "" {
				t.Errorf("helm template with %s differs from kubectl kustomize %s (-kustomize +helm):\n%s",
					valuesName(set.values), strings.Join(set.kustomize, " + "), diff)
			}
		})
	}
}

func valuesName(values string) string {
	if values == "" {
		return "the default values"
	}
	return "testdata/helm/" + values
}
