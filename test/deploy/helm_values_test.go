package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volplace/volplace/cmd/volplace/app/config"
)

// TestHelmValuesRejected checks that mistakes in values stop `helm
// template` (and so `helm install`) with a message naming the value, rather
// than rendering objects that kube-apiserver refuses or a volplace that
// crash-loops on its configuration.
func TestHelmValuesRejected(t *testing.T) {
	cl.keepOnFailure(t)
	for _, c := range []struct{ set, want string }{
		{"replicas=two", "/replicas"},
		{"replica=3", "'replica' not allowed"},
		{"certificates.mode=acme", "/certificates/mode"},
		{"webhooks.failurePolicy.podVolumes=Never", "/webhooks/failurePolicy/podVolumes"},
		{"config.rules.requireCSIDriverr=true", "'requireCSIDriverr' not allowed"},
		{"config.scoring.weights.locality=101", "/config/scoring/weights/locality"},
		{"config.webhook.defaultStorageClassPolicy=oldest", "/config/webhook/defaultStorageClassPolicy"},
		{"scheduler.extender.httpTimeout=2", "/scheduler/extender/httpTimeout"},
		{"monitoring.serviceMonitor.enable=true", "'enable' not allowed"},
		// Not a schema rule: a PodDisruptionBudget that keeps every replica
		// blocks node drains.
		{"replicas=1", "must exceed podDisruptionBudget.minAvailable"},
	} {
		t.Run(c.set, func(t *testing.T) {
			t.Parallel()
			r := runHelm(t, "template", "volplace", chartDir, "--namespace", installNamespace, "--set", c.set)
			if r.Err == nil {
				t.Fatalf("helm template --set %s succeeded, want an error mentioning %q", c.set, c.want)
			}
			if !strings.Contains(r.Stderr, c.want) {
				t.Errorf("helm template --set %s failed without mentioning %q:\n%s", c.set, c.want, r.Stderr)
			}
		})
	}
}

// TestHelmCustomRelease renders the chart with everything on and changed
// values (testdata/helm/custom.yaml) as release "storage" in namespace
// storage-system: no name or namespace of manifests/ may remain, the
// configuration must be one volplace accepts, and kube-apiserver must accept
// the objects.
func TestHelmCustomRelease(t *testing.T) {
	cl.keepOnFailure(t)
	const release, namespace, fullname = "storage", "storage-system", "storage-volplace"
	r := runHelm(t, append([]string{"template", release, chartDir, "--namespace", namespace}, valuesArgs("custom.yaml")...)...)
	if r.Err != nil {
		t.Fatalf("%v", r)
	}
	if strings.Contains(r.Stdout, installNamespace) {
		t.Errorf("the rendering for namespace %s still names %s:\n%s", namespace, installNamespace, grepLines(r.Stdout, installNamespace))
	}
	objs, err := decodeObjects(r.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]object{}
	for _, o := range objs {
		byKey[o.key()] = o
		meta, _ := o["metadata"].(map[string]any)
		if name, _ := meta["name"].(string); o["kind"] != "Namespace" && !strings.HasPrefix(name, fullname) {
			t.Errorf("%s: name does not start with %s", o.key(), fullname)
		}
	}

	// volplace's configuration is valid and carries the values.
	cfg, err := config.Parse([]byte(configMapFile(t, byKey, "ConfigMap "+namespace+"/"+fullname+"-config")))
	if err != nil {
		t.Fatalf("volplace rejects the rendered configuration: %v", err)
	}
	if got := cfg.Webhook.SchedulerName; got != "volplace-scheduler" {
		t.Errorf("webhook.schedulerName = %q, want volplace-scheduler (the secondary scheduler is on)", got)
	}
	if got := cfg.Scoring.Weights; got == nil || got.Capacity == nil || *got.Capacity != 5 || got.Locality == nil || *got.Locality != 1 {
		t.Errorf("scoring.weights = %+v, want capacity 5 and the other defaults kept", got)
	}
	// The secondary scheduler calls this release's Service and, with
	// extenderResource, only for pods carrying volplace.io/storage.
	sched := configMapFile(t, byKey, "ConfigMap "+namespace+"/"+fullname+"-scheduler-config")
	for _, want := range []string{"urlPrefix: http://" + fullname + "." + namespace + ".svc:8888", "name: volplace.io/storage", "resourceName: " + fullname + "-scheduler", "httpTimeout: 3s"} {
		if !strings.Contains(sched, want) {
			t.Errorf("the scheduler configuration lacks %q:\n%s", want, sched)
		}
	}

	// kube-apiserver accepts the objects in that namespace.
	// --save-config: the rendered Namespace is applied over it.
	cl.kubectlOrFail(t, "create", "namespace", namespace, "--save-config")
	file := filepath.Join(cl.dir, "helm-custom.yaml")
	if err := os.WriteFile(file, []byte(r.Stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	d := cl.runKubectl(t.Context(), "apply", "-f", file, "--dry-run=server")
	if d.Err != nil {
		t.Fatalf("kubectl apply --dry-run=server of %s failed:\n%v", file, d)
	}
	if w := warnings(d.Stderr); len(w) > 0 {
		t.Errorf("kubectl apply --dry-run=server of %s warned:\n%s", file, strings.Join(w, "\n"))
	}
}

// configMapFile returns the config.yaml of a rendered ConfigMap.
func configMapFile(t *testing.T, objs map[string]object, key string) string {
	t.Helper()
	cm, ok := objs[key]
	if !ok {
		t.Fatalf("%s not rendered", key)
	}
	data, _ := cm["data"].(map[string]any)
	s, ok := data["config.yaml"].(string)
	if !ok {
		t.Fatalf("%s has no config.yaml", key)
	}
	return s
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(out, "\n")
}
