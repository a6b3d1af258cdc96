package deploy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// kustomizations are the directories users `kubectl apply -k`.
var kustomizations = []string{
	"manifests/base",
	"manifests/overlays/self-signed",
	"manifests/overlays/cert-manager",
	"manifests/overlays/secondary-scheduler",
	"manifests/overlays/volplace-scheduler",
	"manifests/monitoring",
}

// TestKustomizationsDryRun sends every kustomization through
// kube-apiserver's validation and admission without persisting it: schemas
// (including the cert-manager and Prometheus Operator CRDs), the webhooks'
// CEL matchConditions, Pod Security of the pod templates (volplace-system
// carries its enforce label), RBAC references. Warnings fail too: kubectl
// prints admission warnings, such as Pod Security violations of a pod
// template, without failing.
func TestKustomizationsDryRun(t *testing.T) {
	cl.keepOnFailure(t)
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := cl.runKubectl(t.Context(), "apply", "-k", cl.path(dir), "--dry-run=server")
			if r.Err != nil {
				t.Fatalf("kubectl apply -k %s --dry-run=server failed:\n%v", dir, r)
			}
			if w := warnings(r.Stderr); len(w) > 0 {
				t.Errorf("kubectl apply -k %s --dry-run=server warned:\n%s", dir, strings.Join(w, "\n"))
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("kubectl apply -k %s --dry-run=server:\n%s%s", dir, r.Stdout, r.Stderr)
			}
		})
	}
}

// warnings returns the warning lines kubectl printed on stderr.
func warnings(stderr string) []string {
	var out []string
	for line := range strings.Lines(stderr) {
		if strings.Contains(line, "Warning:") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// TestPodTemplatesAdmitted creates, in dry-run, a Pod from the template of
// every Deployment the kustomizations render, in its namespace, as its
// ReplicaSet would: Pod Security enforcement of volplace-system's level,
// priority classes and the pod-level validation only apply to Pods, not to
// the Deployments the dry-runs above send.
func TestPodTemplatesAdmitted(t *testing.T) {
	cl.keepOnFailure(t)
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			rendered := cl.kubectlOrFail(t, "kustomize", cl.path(dir))
			deployments, err := decodeDeployments(rendered)
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v", dir, err)
			}
			for _, d := range deployments {
				pod := &corev1.Pod{
					ObjectMeta: *d.Spec.Template.ObjectMeta.DeepCopy(),
					Spec:       *d.Spec.Template.Spec.DeepCopy(),
				}
				pod.Namespace, pod.GenerateName = d.Namespace, d.Name+"-"
				if _, err := cl.client.CoreV1().Pods(d.Namespace).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
					t.Errorf("a pod of Deployment %s/%s would be refused: %v", d.Namespace, d.Name, err)
				} else {
					t.Logf("a pod of Deployment %s/%s is admitted", d.Namespace, d.Name)
				}
			}
		})
	}
}

// decodeDeployments returns the Deployments of a multi-document YAML stream.
func decodeDeployments(stream string) ([]*appsv1.Deployment, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var out []*appsv1.Deployment
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		var meta metav1.TypeMeta
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, err
		}
		if meta.Kind != "Deployment" {
			continue
		}
		d := &appsv1.Deployment{}
		if err := json.Unmarshal(raw, d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
}

// TestVolplaceSchedulerConfigCopy checks that the volplace-scheduler
// overlay carries manifests/scheduler/volplace-scheduler-config.yaml as it
// is: kustomize reads no file outside an overlay, so the overlay holds a
// copy.
func TestVolplaceSchedulerConfigCopy(t *testing.T) {
	want := readFile(t, cl.path("manifests/scheduler/volplace-scheduler-config.yaml"))
	got := readFile(t, cl.path("manifests/overlays/volplace-scheduler/scheduler-config.yaml"))
	if string(got) != string(want) {
		t.Errorf("manifests/overlays/volplace-scheduler/scheduler-config.yaml differs from manifests/scheduler/volplace-scheduler-config.yaml: copy the latter over the former")
	}
}
