package deploy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/volplace/volplace/test/internal/harness"
)

// canIRule is a row of `kubectl auth can-i --list`.
type canIRule struct {
	Resources       string
	NonResourceURLs string
	ResourceNames   string
	Verbs           string
}

// readOnly are the verbs of manifests/base/rbac.yaml.
const readOnly = "[get list watch]"

// wantClusterRules are the rules of volplace's ServiceAccount outside its
// namespace with manifests/overlays/self-signed installed, beyond what every
// ServiceAccount may do: the read-only ClusterRole volplace of
// manifests/base/rbac.yaml, and get/patch of its own webhook configurations
// by name (ClusterRole volplace-webhook-ca-bundle).
var wantClusterRules = []canIRule{
	{"nodes", "[]", "[]", readOnly},
	{"pods", "[]", "[]", readOnly},
	{"namespaces", "[]", "[]", readOnly},
	{"persistentvolumes", "[]", "[]", readOnly},
	{"persistentvolumeclaims", "[]", "[]", readOnly},
	{"storageclasses.storage.k8s.io", "[]", "[]", readOnly},
	{"csinodes.storage.k8s.io", "[]", "[]", readOnly},
	{"csidrivers.storage.k8s.io", "[]", "[]", readOnly},
	{"csistoragecapacities.storage.k8s.io", "[]", "[]", readOnly},
	{"volumeattachments.storage.k8s.io", "[]", "[]", readOnly},
	{"mutatingwebhookconfigurations.admissionregistration.k8s.io", "[]", "[" + webhookConfiguration + "]", "[get patch]"},
	{"validatingwebhookconfigurations.admissionregistration.k8s.io", "[]", "[" + webhookConfiguration + "]", "[get patch]"},
}

// wantNamespaceRules are its rules in volplace-system: the cluster-wide ones
// and get/update of its certificate Secret by name (Role volplace-certs).
var wantNamespaceRules = append(slices.Clone(wantClusterRules),
	canIRule{"secrets", "[]", "[" + certSecret + "]", "[get update]"},
)

// canIRow matches a row of the can-i table: resources (empty for
// non-resource URLs), then three bracketed lists.
var canIRow = regexp.MustCompile(`^(\S*)\s+(\[[^\]]*\])\s+(\[[^\]]*\])\s+(\[[^\]]*\])\s*$`)

// canIList runs `kubectl auth can-i --list` as a ServiceAccount, in a
// namespace ("" for the kubeconfig's, default).
func canIList(t *testing.T, saNamespace, saName, namespace string) []canIRule {
	t.Helper()
	args := []string{"auth", "can-i", "--list",
		"--as=system:serviceaccount:" + saNamespace + ":" + saName,
		"--as-group=system:serviceaccounts",
		"--as-group=system:serviceaccounts:" + saNamespace,
		"--as-group=system:authenticated",
	}
	if namespace != "" {
		args = append(args, "--namespace="+namespace)
	}
	out := cl.kubectlOrFail(t, args...)
	var rules []canIRule
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if i == 0 && strings.HasPrefix(line, "Resources") {
			continue
		}
		m := canIRow.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("cannot parse line %d of `kubectl %s`: %q\n%s", i+1, strings.Join(args, " "), line, out)
		}
		rules = append(rules, canIRule{Resources: m[1], NonResourceURLs: m[2], ResourceNames: m[3], Verbs: sortedList(m[4])})
	}
	if len(rules) == 0 {
		t.Fatalf("`kubectl %s` listed no rules:\n%s", strings.Join(args, " "), out)
	}
	return rules
}

// sortedList sorts the words of "[b a]".
func sortedList(s string) string {
	words := strings.Fields(strings.Trim(s, "[]"))
	slices.Sort(words)
	return "[" + strings.Join(words, " ") + "]"
}

// minus returns the rules of a that are not in b.
func minus(a, b []canIRule) []canIRule {
	var out []canIRule
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}

func sortRules(rules []canIRule) []canIRule {
	rules = slices.Clone(rules)
	for i := range rules {
		rules[i].Verbs = sortedList(rules[i].Verbs)
	}
	slices.SortFunc(rules, func(a, b canIRule) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return rules
}

// TestServiceAccountRules checks that the self-signed overlay gives volplace's
// ServiceAccount exactly its intended rules: those `kubectl auth can-i
// --list` shows for it, minus those it shows for a ServiceAccount without
// any binding (self-reviews, discovery, /version, ...).
func TestServiceAccountRules(t *testing.T) {
	cl.keepOnFailure(t)
	applySelfSigned(t)
	const baselineNamespace, baselineName = "deploy-rbac-baseline", "nobody"
	if err := cl.ensureNamespace(t.Context(), baselineNamespace); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: baselineNamespace, Name: baselineName}}
	if _, err := cl.client.CoreV1().ServiceAccounts(baselineNamespace).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, namespace string
		want            []canIRule
	}{
		{"cluster", "", wantClusterRules},
		{installNamespace, installNamespace, wantNamespaceRules},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseline := canIList(t, baselineNamespace, baselineName, tc.namespace)
			for _, r := range baseline {
				if strings.Contains(r.Resources, "*") || strings.Contains(r.Verbs, "*") {
					t.Fatalf("a ServiceAccount without bindings may %+v: is RBAC authorization off?", r)
				}
			}
			got := minus(canIList(t, installNamespace, serviceAccount, tc.namespace), baseline)
			if diff := cmp.Diff(sortRules(tc.want), sortRules(got)); diff != "" {
				t.Errorf("rules of %s (namespace %q) beyond a ServiceAccount without bindings (-want +got):\n%s", serviceAccountUser, tc.namespace, diff)
			}
			t.Logf("baseline of every ServiceAccount: %+v", baseline)
		})
	}
}

// TestVolplaceRunsAsServiceAccount runs volplace as the self-signed
// overlay's Deployment runs it, with its ServiceAccount's identity: every
// informer must sync (/readyz), the certificates must land in the Secret
// and every webhook's caBundle, and volplace must log no "forbidden".
func TestVolplaceRunsAsServiceAccount(t *testing.T) {
	cl.keepOnFailure(t)
	v := volplaceAsServiceAccount(t)
	t.Logf("volplace serve %s\nas %s: ready after %v", strings.Join(installation.args, " "), serviceAccountUser, installation.readyAfter.Round(1e6))

	// volplace's client carries the ServiceAccount's identity.
	review, err := kubernetes.NewForConfigOrDie(serviceAccountConfig()).AuthenticationV1().SelfSubjectReviews().
		Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := review.Status.UserInfo.Username; got != serviceAccountUser {
		t.Fatalf("volplace's client authenticates as %q, want %q", got, serviceAccountUser)
	}

	for _, flag := range []string{"--self-signed-certs", "--self-signed-secret=" + installNamespace + "/" + certSecret} {
		if !slices.Contains(installation.args, flag) {
			t.Errorf("the overlay's Deployment does not pass %s: %q", flag, installation.args)
		}
	}

	secret, err := cl.client.CoreV1().Secrets(installNamespace).Get(t.Context(), certSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"tls.crt", "tls.key", "ca.crt"} {
		if len(secret.Data[key]) == 0 {
			t.Errorf("Secret %s/%s has no %s; its keys: %v", installNamespace, certSecret, key, slices.Sorted(maps.Keys(secret.Data)))
		}
	}

	bundles := map[string][]byte{}
	mutating, err := cl.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), webhookConfiguration, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range mutating.Webhooks {
		bundles["MutatingWebhookConfiguration "+w.Name] = w.ClientConfig.CABundle
	}
	validating, err := cl.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(t.Context(), webhookConfiguration, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range validating.Webhooks {
		bundles["ValidatingWebhookConfiguration "+w.Name] = w.ClientConfig.CABundle
	}
	if len(mutating.Webhooks) == 0 || len(validating.Webhooks) == 0 {
		t.Errorf("the webhook configurations %s have %d mutating and %d validating webhooks", webhookConfiguration, len(mutating.Webhooks), len(validating.Webhooks))
	}
	var bundle []byte
	for _, name := range slices.Sorted(maps.Keys(bundles)) {
		switch b := bundles[name]; {
		case len(b) == 0:
			t.Errorf("%s has no caBundle", name)
		case bundle == nil:
			bundle = b
		case !bytes.Equal(b, bundle):
			t.Errorf("%s has another caBundle than the others", name)
		}
	}

	// The bundle verifies what the webhook server serves, for the name the
	// certificate was made for.
	if bundle != nil {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(bundle) {
			t.Fatalf("the caBundle holds no PEM certificate:\n%s", bundle)
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}}}
		if _, _, err := harness.HTTPGet(t.Context(), client, "https://"+v.WebhookAddr()+"/"); err != nil {
			t.Errorf("the webhook server's certificate does not verify against the caBundle: %v", err)
		}
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(installation.certDir, name)); err != nil {
			t.Errorf("volplace did not write its certificate directory: %v", err)
		}
	}

	assertNoForbidden(t)

	// An upgrade re-applies the overlay: the certificates volplace wrote,
	// which the manifests leave out, must survive it.
	t.Run("re-apply keeps the certificates", func(t *testing.T) {
		cl.kubectlOrFail(t, "apply", "-k", cl.path("manifests/overlays/self-signed"))
		after, err := cl.client.CoreV1().Secrets(installNamespace).Get(t.Context(), certSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after.Data["tls.crt"], secret.Data["tls.crt"]) || !bytes.Equal(after.Data["ca.crt"], secret.Data["ca.crt"]) {
			t.Errorf("kubectl apply -k manifests/overlays/self-signed changed the data of Secret %s/%s; its keys now: %v", installNamespace, certSecret, slices.Sorted(maps.Keys(after.Data)))
		}
		m, err := cl.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), webhookConfiguration, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := cl.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(t.Context(), webhookConfiguration, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Webhooks {
			if !bytes.Equal(w.ClientConfig.CABundle, bundle) {
				t.Errorf("kubectl apply -k manifests/overlays/self-signed changed the caBundle of MutatingWebhookConfiguration %s", w.Name)
			}
		}
		for _, w := range v.Webhooks {
			if !bytes.Equal(w.ClientConfig.CABundle, bundle) {
				t.Errorf("kubectl apply -k manifests/overlays/self-signed changed the caBundle of ValidatingWebhookConfiguration %s", w.Name)
			}
		}
	})
}

// assertNoForbidden fails the test when volplace's log (and client-go's)
// has a "forbidden", the trace of a missing permission.
func assertNoForbidden(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(cl.volplaceLog)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for line := range bytes.Lines(data) {
		if bytes.Contains(bytes.ToLower(line), []byte("forbidden")) {
			lines = append(lines, strings.TrimSpace(string(line)))
		}
	}
	if len(lines) > 0 {
		t.Errorf("volplace's log has %d permission errors:\n%s", len(lines), strings.Join(lines[:min(len(lines), 20)], "\n"))
	}
}
