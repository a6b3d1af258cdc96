package faults

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	tt "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// webhookTimeout is the timeoutSeconds of the test's webhook
// configurations: the manifests' 5 s, shortened so that a hung volplace
// costs the test little.
const webhookTimeout = 1 * time.Second

// The webhooks docs/operations.md ("When volplace is down") advises to turn
// to failurePolicy: Fail for strict validation.
var strictWebhooks = []string{"pvc-access-modes.volplace.io", "storageclass-checks.volplace.io"}

// webhookSetup is volplace's webhook configurations under one failure
// policy choice, scoped to one namespace (and the StorageClasses labeled
// like it).
type webhookSetup struct {
	// name is the choice: "shipped" (every webhook Ignore, as
	// manifests/base/webhooks.yaml) or "strict" (strictWebhooks Fail).
	name  string
	scn   *e2e.Scenario
	class string
}

// TestWebhookUnreachable registers volplace's webhooks, as shipped and with
// the strict validation of docs/operations.md, in front of a proxy, and
// checks what kube-apiserver does with claims, classes and pods when volplace
// answers, refuses connections, or accepts and never answers.
func TestWebhookUnreachable(t *testing.T) {
	v := runVolplace(t, direct)
	mustReady(t, v)
	link, err := newProxy(su.addrs.webhook)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })

	gold := tt.MakeStorageClass("faults-wh-gold", "ebs.csi.aws.com").Obj() // ReadWriteOnce only, in volplace's table
	if _, err := su.client.StorageV1().StorageClasses().Create(t.Context(), gold, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := su.client.StorageV1().StorageClasses().Delete(context.WithoutCancel(t.Context()), gold.Name, metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
	setups := []*webhookSetup{newWebhookSetup(t, "shipped", gold.Name, link.Addr()), newWebhookSetup(t, "strict", gold.Name, link.Addr())}
	for _, s := range setups {
		waitWebhooks(t, s)
	}

	reachable := []string{
		"claim without class: created with storageClassName faults-wh-gold",
		`claim with an access mode the provisioner lacks: denied by "pvc-access-modes.volplace.io", invalid: spec.accessModes[0]`,
		"no-provisioner class: created with volumeBindingMode WaitForFirstConsumer",
		`delete a claim a pod uses: denied by "pvc-deletion-guard.volplace.io"`,
		"pod with nodeName and an unbound WaitForFirstConsumer claim: created with nodeName moved to node affinity",
	}
	admitted := []string{
		"claim without class: created with storageClassName <nil>",
		"claim with an access mode the provisioner lacks: created",
		"no-provisioner class: created with volumeBindingMode Immediate",
		"delete a claim a pod uses: deleted, Terminating with finalizer kubernetes.io/pvc-protection",
		"pod with nodeName and an unbound WaitForFirstConsumer claim: created with nodeName faults-wh-node",
	}
	strict := func(cause string) []string {
		refused := `refused: failed calling webhook "%s": ` + cause
		return []string{
			"claim without class: " + fmt.Sprintf(refused, strictWebhooks[0]),
			"claim with an access mode the provisioner lacks: " + fmt.Sprintf(refused, strictWebhooks[0]),
			"no-provisioner class: " + fmt.Sprintf(refused, strictWebhooks[1]),
			admitted[3],
			admitted[4],
		}
	}
	tests := []struct {
		name  string
		setup *webhookSetup
		state linkState
		want  []string
	}{
		{"volplace reachable: shipped configuration applies its defaults and denials", setups[0], linkOpen, reachable},
		{"volplace reachable: strict configuration applies its defaults and denials", setups[1], linkOpen, reachable},
		{"volplace refuses connections: Ignore admits everything as kube-apiserver alone would", setups[0], linkRefused, admitted},
		{"volplace refuses connections: Fail refuses claims and classes at once, Ignore admits the rest", setups[1], linkRefused, strict("connection refused")},
		{"volplace hangs: Ignore admits everything after timeoutSeconds", setups[0], linkStalled, admitted},
		{"volplace hangs: Fail refuses claims and classes after timeoutSeconds, Ignore admits the rest", setups[1], linkStalled, strict("timeout")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := link.Set(tc.state); err != nil {
				t.Fatal(err)
			}
			got, took := tc.setup.run(t, tc.state.String())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("what kube-apiserver did (-want +got):\n%s", diff)
			}
			for i, d := range took {
				switch {
				case tc.state == linkRefused && d >= webhookTimeout:
					t.Errorf("%s took %v with connections refused: want under timeoutSeconds (%v)", strings.SplitN(got[i], ":", 2)[0], d, webhookTimeout)
				case tc.state == linkStalled && d < webhookTimeout:
					t.Errorf("%s took %v with volplace hung: want at least timeoutSeconds (%v)", strings.SplitN(got[i], ":", 2)[0], d, webhookTimeout)
				}
			}
			t.Logf("latencies: %v", took)
		})
	}
}

// newWebhookSetup registers the webhook configurations of a choice, calling
// volplace at addr, and creates its namespace (which names class as its
// default StorageClass) with a pod using the claims of the deletion checks,
// and the WaitForFirstConsumer claim of the nodeName checks.
func newWebhookSetup(t *testing.T, name, class, addr string) *webhookSetup {
	t.Helper()
	selector := "faults-" + name
	mutating, validating, err := e2e.WebhookConfigurations(e2e.WebhookTarget{
		Name: "faults-" + name, Addr: addr, CABundle: su.webhookCA.CertPEM, Selector: selector,
	})
	if err != nil {
		t.Fatal(err)
	}
	timeout := ptr.To(int32(webhookTimeout / time.Second))
	for i := range mutating.Webhooks {
		mutating.Webhooks[i].TimeoutSeconds = timeout
	}
	for i := range validating.Webhooks {
		w := &validating.Webhooks[i]
		w.TimeoutSeconds = timeout
		if name == "strict" && slices.Contains(strictWebhooks, w.Name) {
			w.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
		}
	}
	if err := e2e.CreateWebhookConfigurations(t.Context(), su.client, mutating, validating); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e2e.DeleteWebhookConfigurations(context.WithoutCancel(t.Context()), su.client, "faults-"+name); err != nil {
			t.Error(err)
		}
	})
	s := &webhookSetup{name: name, class: class}
	s.scn = e2e.NewScenario(t, "wh-"+name, profileRequired, func(_ *e2e.Scenario, ns *corev1.Namespace) {
		ns.Labels = map[string]string{e2e.WebhookLabel: selector}
		ns.Annotations = map[string]string{webhook.AnnNamespaceDefaultClass: class}
	})
	var claims []string
	for _, state := range []linkState{linkOpen, linkRefused, linkStalled} {
		claims = append(claims, s.scn.CreateClaim("used-"+state.String(), class, "1Gi").Name)
	}
	s.scn.CreateClaim("wffc", class, "1Gi")
	s.scn.CreatePod("user", claims...) // no scheduler serves this profile's namespace: it stays Pending, and counts
	return s
}

// waitWebhooks waits until kube-apiserver calls both configurations of the
// setup and volplace's cache has its namespace and pod: a dry-run claim
// without class gets the namespace's default, and a dry-run deletion of a
// claim the pod uses is denied.
func waitWebhooks(t *testing.T, s *webhookSetup) {
	t.Helper()
	pvcs := su.client.CoreV1().PersistentVolumeClaims(s.scn.Namespace)
	dryRun := []string{metav1.DryRunAll}
	probe := tt.MakePVC("probe").Namespace(s.scn.Namespace).Request("1Gi").Obj()
	probe.UID, probe.Spec.StorageClassName = "", nil
	var last string
	err := harness.Poll(t.Context(), readyTimeout, func() (bool, error) {
		got, err := pvcs.Create(t.Context(), probe, metav1.CreateOptions{DryRun: dryRun})
		if err != nil || deref(got.Spec.StorageClassName) != s.class {
			last = fmt.Sprintf("claim without class: %v, %v", err, got)
			return false, nil
		}
		err = pvcs.Delete(t.Context(), "used-open", metav1.DeleteOptions{DryRun: dryRun})
		last = fmt.Sprintf("deleting a claim in use: %v", err)
		return apierrors.IsForbidden(err), nil
	})
	if err != nil {
		t.Fatalf("volplace's webhooks of %s are not all in effect (last: %s): %v", s.scn.Namespace, last, err)
	}
}

// run makes one request of each kind in the setup's namespace and returns
// what kube-apiserver did with each, and how long each took; tag keeps
// the names of a run apart.
func (s *webhookSetup) run(t *testing.T, tag string) ([]string, []time.Duration) {
	t.Helper()
	ctx, ns := t.Context(), s.scn.Namespace
	pvcs := su.client.CoreV1().PersistentVolumeClaims(ns)
	claim := func(name string, class *string, mode corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
		c := tt.MakePVC(name).Namespace(ns).Request("1Gi").AccessModes(mode).Obj()
		c.UID, c.Spec.StorageClassName = "", class
		return c
	}
	ops := []struct {
		name string
		do   func() string
	}{
		{"claim without class", func() string {
			got, err := pvcs.Create(ctx, claim("nocls-"+tag, nil, corev1.ReadWriteOnce), metav1.CreateOptions{})
			if err != nil {
				return outcome(err)
			}
			return fmt.Sprintf("created with storageClassName %s", deref(got.Spec.StorageClassName))
		}},
		{"claim with an access mode the provisioner lacks", func() string {
			if _, err := pvcs.Create(ctx, claim("rwx-"+tag, &s.class, corev1.ReadWriteMany), metav1.CreateOptions{}); err != nil {
				return outcome(err)
			}
			return "created"
		}},
		{"no-provisioner class", func() string {
			sc := &storagev1.StorageClass{
				ObjectMeta:  metav1.ObjectMeta{Name: s.scn.Name + "-" + tag, Labels: map[string]string{e2e.WebhookLabel: "faults-" + s.name}},
				Provisioner: "kubernetes.io/no-provisioner",
			}
			got, err := su.client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{})
			if err != nil {
				return outcome(err)
			}
			return fmt.Sprintf("created with volumeBindingMode %s", deref(got.VolumeBindingMode))
		}},
		{"delete a claim a pod uses", func() string {
			name := "used-" + tag
			if err := pvcs.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				return outcome(err)
			}
			got, err := pvcs.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return "deleted, then " + outcome(err)
			}
			return fmt.Sprintf("deleted, Terminating with finalizer %s", strings.Join(got.Finalizers, ","))
		}},
		{"pod with nodeName and an unbound WaitForFirstConsumer claim", func() string {
			pod := tt.MakePod("pinned-" + tag).Namespace(ns).PVC("wffc").Node("faults-wh-node").Obj()
			pod.UID = ""
			pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "registry.invalid/volplace-faults:none"}}
			got, err := su.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			switch {
			case err != nil:
				return outcome(err)
			case got.Spec.NodeName == "" && got.Spec.Affinity != nil && got.Spec.Affinity.NodeAffinity != nil:
				return "created with nodeName moved to node affinity"
			}
			return "created with nodeName " + got.Spec.NodeName
		}},
	}
	var got []string
	var took []time.Duration
	for _, op := range ops {
		start := time.Now()
		got = append(got, op.name+": "+op.do())
		took = append(took, time.Since(start).Round(time.Millisecond))
	}
	return got, took
}

var failedCalling = regexp.MustCompile(`failed calling webhook "([^"]+)"`)
var deniedBy = regexp.MustCompile(`admission webhook "([^"]+)" denied the request`)

// outcome summarises kube-apiserver's refusal: the webhook that denied it
// or could not be called, or the invalid fields.
func outcome(err error) string {
	msg := err.Error()
	if m := failedCalling.FindStringSubmatch(msg); m != nil {
		cause := msg
		switch {
		case strings.Contains(msg, "connection refused"):
			cause = "connection refused"
		case strings.Contains(msg, "context deadline exceeded"):
			cause = "timeout"
		}
		return fmt.Sprintf("refused: failed calling webhook %q: %s", m[1], cause)
	}
	m := deniedBy.FindStringSubmatch(msg)
	if m == nil {
		return "error: " + msg
	}
	out := fmt.Sprintf("denied by %q", m[1])
	var status apierrors.APIStatus
	if apierrors.IsInvalid(err) && errors.As(err, &status) && status.Status().Details != nil {
		var fields []string
		for _, c := range status.Status().Details.Causes {
			fields = append(fields, c.Field)
		}
		out += ", invalid: " + strings.Join(fields, ", ")
	}
	return out
}

func deref[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}
