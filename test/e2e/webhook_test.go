package e2e

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/webhook"
)

// clusterDefaultMu serializes the tests that mark a class as the cluster's
// default (clusterDefault takes it): with two, volplace would pick the
// newest. Tests whose claims without class must get their namespace's
// default hold it for reading (stableClusterDefault).
var clusterDefaultMu sync.RWMutex

// isDefaultClass reports whether volplace takes a class for a cluster
// default (docs/webhook.md, 1).
func isDefaultClass(c *storagev1.StorageClass) bool {
	for _, ann := range []string{"storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class", webhook.AnnDefaultClass} {
		if c.Annotations[ann] == "true" {
			return true
		}
	}
	return false
}

// defaultClassNames returns the default classes volplace's cache holds.
func defaultClassNames(s *Scenario) []string {
	var names []string
	for _, c := range s.F.Volplace.Store().StorageClasses() {
		if isDefaultClass(c) {
			names = append(names, c.Name)
		}
	}
	slices.Sort(names)
	return names
}

// A claim without storageClassName gets the cluster's default class, a
// namespace's default class wins over it, and a namespace default that does
// not exist denies the claim. kube-apiserver's DefaultStorageClass plugin
// is on (framework.go): it fills in a class marked with the Kubernetes
// annotation first, and volplace confirms it, with the same warning.
func TestWebhookDefaultStorageClass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, scenario, ann string }{
		{"cluster default (Kubernetes annotation)", "wh-default-k8s", "storageclass.kubernetes.io/is-default-class"},
		{"cluster default (volplace annotation)", "wh-default-volplace", webhook.AnnDefaultClass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewWebhookScenario(t, tc.scenario)
			class := s.clusterDefault(tc.ann)

			client, warnings := s.WarningClient()
			pvc, err := client.CoreV1().PersistentVolumeClaims(s.Namespace).Create(s.ctx(), newClaim(s.Namespace, "data", nil), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("creating a claim without class: %v", err)
			}
			if got := deref(pvc.Spec.StorageClassName); got != class.Name {
				t.Errorf("claim data: storageClassName %v, want the cluster default %s", got, class.Name)
			}
			expectWarnings(t, "creating claim data", warnings.Take(),
				fmt.Sprintf("spec.storageClassName set to %q: the cluster's default StorageClass", class.Name))
		})
	}

	t.Run("namespace default", func(t *testing.T) {
		t.Parallel()
		s := NewWebhookScenario(t, "wh-default-ns", namespaceDefaultClass("gold"))
		stableClusterDefault(t)
		gold := s.CreateStorageClass("gold", knownAccessModes)
		s.SyncVolplace()
		s.WaitDefaulted(gold.Name)

		client, warnings := s.WarningClient()
		pvc, err := client.CoreV1().PersistentVolumeClaims(s.Namespace).Create(s.ctx(), newClaim(s.Namespace, "data", nil), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating a claim without class: %v", err)
		}
		if got := deref(pvc.Spec.StorageClassName); got != gold.Name {
			t.Errorf("claim data: storageClassName %v, want the namespace's default %s", got, gold.Name)
		}
		expectWarnings(t, "creating claim data", warnings.Take(),
			fmt.Sprintf("spec.storageClassName set to %q: the default StorageClass of namespace %s (annotation %s)", gold.Name, s.Namespace, webhook.AnnNamespaceDefaultClass))

		// An explicit class, even "" (no class), is left alone.
		for _, class := range []string{"", gold.Name} {
			got, err := client.CoreV1().PersistentVolumeClaims(s.Namespace).Create(s.ctx(), newClaim(s.Namespace, "explicit", ptr.To(class)), dryRun)
			if err != nil {
				t.Fatalf("creating a claim of class %q: %v", class, err)
			}
			if deref(got.Spec.StorageClassName) != class {
				t.Errorf("claim of class %q got storageClassName %v", class, deref(got.Spec.StorageClassName))
			}
			expectWarnings(t, fmt.Sprintf("creating a claim of class %q", class), warnings.Take())
		}
	})

	t.Run("namespace default that does not exist", func(t *testing.T) {
		t.Parallel()
		s := NewWebhookScenario(t, "wh-default-missing", namespaceDefaultClass("missing"))
		stableClusterDefault(t)
		missing := s.Name + "-missing"
		claims := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace)
		// Dry runs until volplace's namespace cache has the annotation.
		s.Eventually("a claim without class is denied", func() string {
			if _, err := claims.Create(s.ctx(), newClaim(s.Namespace, "data", nil), dryRun); !apierrors.IsInvalid(err) {
				return fmt.Sprintf("got %v", err)
			}
			return ""
		})
		_, err := claims.Create(s.ctx(), newClaim(s.Namespace, "data", nil), metav1.CreateOptions{})
		want := fmt.Sprintf(`admission webhook %q denied the request: PersistentVolumeClaim "data" is invalid: spec.storageClassName: Invalid value: %q: namespace %s names this StorageClass as its default (annotation %s), and it does not exist`,
			hookPVCDefaultClass, missing, s.Namespace, webhook.AnnNamespaceDefaultClass)
		expectInvalid(t, err, "spec.storageClassName", want)
	})
}

// kube-apiserver's DefaultStorageClass plugin, on as on every managed
// cluster, fills in the cluster default of a claim without class before the
// webhooks run. volplace tells that class from one the client wrote by the
// claim's managedFields: whatever the client (kubectl create, client-side
// and server-side kubectl apply, client-go, a dry run, a request that resets
// managedFields), a claim without class gets its namespace's default, and a
// claim that names the cluster default keeps it.
func TestWebhookDefaultStorageClassPlugin(t *testing.T) {
	t.Parallel()
	s := NewWebhookScenario(t, "wh-plugin", namespaceDefaultClass("gold"))
	gold := s.CreateStorageClass("gold", knownAccessModes)
	standard := s.clusterDefault(topology.AnnIsDefaultClass)
	s.WaitDefaulted(gold.Name)
	client, clientWarnings := s.WarningClient()
	claims := client.CoreV1().PersistentVolumeClaims(s.Namespace)

	// create sends the claim as one client does and returns what
	// kube-apiserver answered and the warnings.
	kubectl := func(args ...string) func(*corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, []string, error) {
		return func(pvc *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, []string, error) {
			pvc = pvc.DeepCopy()
			pvc.APIVersion, pvc.Kind = "v1", "PersistentVolumeClaim"
			manifest, err := json.Marshal(pvc)
			if err != nil {
				return nil, nil, err
			}
			out, warnings, err := s.Kubectl(manifest, append(args, "-f", "-", "-o", "json", "--show-managed-fields")...)
			if err != nil {
				return nil, warnings, err
			}
			got := &corev1.PersistentVolumeClaim{}
			if err := json.Unmarshal([]byte(out), got); err != nil {
				return nil, warnings, fmt.Errorf("kubectl's output: %w\n%s", err, out)
			}
			return got, warnings, nil
		}
	}
	clientGo := func(opts metav1.CreateOptions, managed []metav1.ManagedFieldsEntry) func(*corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, []string, error) {
		return func(pvc *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, []string, error) {
			pvc = pvc.DeepCopy()
			pvc.ManagedFields = managed
			got, err := claims.Create(s.ctx(), pvc, opts)
			return got, clientWarnings.Take(), err
		}
	}
	clients := []struct {
		name   string
		create func(*corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, []string, error)
	}{
		{"kubectl create", kubectl("create")},
		{"kubectl apply", kubectl("apply")},
		{"kubectl apply --server-side", kubectl("apply", "--server-side")},
		{"client-go", clientGo(metav1.CreateOptions{}, nil)},
		{"client-go dry run", clientGo(dryRun, nil)},
		// [{}] resets managedFields: kube-apiserver still records the
		// request's own fields.
		{"client-go resetting managedFields", clientGo(metav1.CreateOptions{}, []metav1.ManagedFieldsEntry{{}})},
	}
	nsWarning := fmt.Sprintf("spec.storageClassName set to %q: the default StorageClass of namespace %s (annotation %s)", gold.Name, s.Namespace, webhook.AnnNamespaceDefaultClass)
	for i, c := range clients {
		for _, tc := range []struct {
			name         string
			class        *string
			want         string
			wantWarnings []string
		}{
			{"without class: the namespace's default", nil, gold.Name, []string{nsWarning}},
			{"naming the cluster default: kept", &standard.Name, standard.Name, nil},
		} {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				name := fmt.Sprintf("data-%d", i)
				if tc.class != nil {
					name += "-named"
				}
				got, warnings, err := c.create(newClaim(s.Namespace, name, tc.class))
				if err != nil {
					t.Fatalf("creating claim %s: %v", name, err)
				}
				if deref(got.Spec.StorageClassName) != tc.want {
					t.Errorf("claim %s: storageClassName %v, want %s", name, deref(got.Spec.StorageClassName), tc.want)
				}
				expectWarnings(t, "creating claim "+name, warnings, tc.wantWarnings...)
				// What volplace read: kube-apiserver records the
				// request's fields before admission, and no admission
				// step's.
				var owners []string
				for _, e := range got.ManagedFields {
					t.Logf("managedFields: manager %q, operation %s: %s", e.Manager, e.Operation, e.FieldsV1.GetRawString())
					if e.FieldsV1 != nil && strings.Contains(e.FieldsV1.GetRawString(), `"f:storageClassName"`) {
						owners = append(owners, e.Manager)
					}
				}
				switch {
				case len(got.ManagedFields) == 0:
					t.Errorf("claim %s has no managedFields", name)
				case tc.class == nil && len(owners) > 0:
					t.Errorf("claim %s: %v own spec.storageClassName, which the request did not set", name, owners)
				case tc.class != nil && len(owners) == 0:
					t.Errorf("claim %s: no field manager owns spec.storageClassName, which the request set", name)
				}
			})
		}
	}
}

// expectInvalid checks that an API error is Invalid, names a field among
// its causes and reads want.
func expectInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the request was admitted; want it denied with:\n  %s", want)
	}
	if !apierrors.IsInvalid(err) {
		t.Errorf("error is not Invalid (reason %s): %v", apierrors.ReasonForError(err), err)
	}
	if !hasCause(err, field) {
		var causes []metav1.StatusCause
		if status, ok := err.(apierrors.APIStatus); ok && status.Status().Details != nil {
			causes = status.Status().Details.Causes
		}
		t.Errorf("error does not name the field %s among its causes %+v", field, causes)
	}
	if err.Error() != want {
		t.Errorf("error\n  %s\nwant\n  %s", err, want)
	}
}

// A ReadWriteMany claim of an ebs.csi.aws.com class is denied, naming
// spec.accessModes[0]; a ReadWriteOnce claim passes.
func TestWebhookAccessModes(t *testing.T) {
	t.Parallel()
	s := NewWebhookScenario(t, "wh-access-modes")
	ebs := s.CreateStorageClass("ebs", ebsProvisioner)
	s.SyncVolplace()
	client, warnings := s.WarningClient()
	claims := client.CoreV1().PersistentVolumeClaims(s.Namespace)

	_, err := claims.Create(s.ctx(), newClaim(s.Namespace, "shared", &ebs.Name, corev1.ReadWriteMany), metav1.CreateOptions{})
	expectInvalid(t, err, "spec.accessModes[0]", fmt.Sprintf(
		`admission webhook %q denied the request: PersistentVolumeClaim "shared" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteMany": StorageClass %s (provisioner ebs.csi.aws.com) supports ReadWriteOnce, ReadWriteOncePod (source: volplace's table of known provisioners)`,
		hookPVCAccessModes, ebs.Name))
	warnings.Take()

	if _, err := claims.Create(s.ctx(), newClaim(s.Namespace, "single", &ebs.Name, corev1.ReadWriteOnce), metav1.CreateOptions{}); err != nil {
		t.Errorf("a ReadWriteOnce claim of %s was denied: %v", ebs.Name, err)
	}
	expectWarnings(t, "creating a ReadWriteOnce claim", warnings.Take())
}

// Deleting a claim a running pod uses is denied, naming the pod and its
// node; once the pod has succeeded, or is deleted, the deletion passes. The
// annotation volplace.io/allow-delete-in-use lets it through with a warning.
func TestWebhookDeletionGuard(t *testing.T) {
	t.Parallel()
	// setUp creates a claim data that a running pod app uses on node n1.
	setUp := func(t *testing.T, name string) (*Scenario, *corev1.Pod) {
		s := NewWebhookScenario(t, name)
		node := s.CreateNodes("zone-a")[0]
		s.CreateBoundClaim("data")
		pod := s.CreateRunningPod("app", node.Name, "data")
		s.SyncVolplace()
		return s, pod
	}
	denial := func(s *Scenario, pod *corev1.Pod) string {
		return fmt.Sprintf(`admission webhook %q denied the request: persistentvolumeclaim "%s/data" is in use by pod(s) %s/%s (node %s); delete them first, or annotate the claim %s=true`,
			hookPVCDeletionGuard, s.Namespace, s.Namespace, pod.Name, pod.Spec.NodeName, webhook.AnnAllowDeleteInUse)
	}
	expectDenied := func(s *Scenario, pod *corev1.Pod) {
		s.T.Helper()
		err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Delete(s.ctx(), "data", metav1.DeleteOptions{})
		switch {
		case err == nil:
			s.T.Fatalf("deleting claim data, in use by running pod %s, was allowed", pod.Name)
		case !apierrors.IsForbidden(err):
			s.T.Errorf("error is not Forbidden (reason %s): %v", apierrors.ReasonForError(err), err)
		}
		if want := denial(s, pod); err.Error() != want {
			s.T.Errorf("error\n  %s\nwant\n  %s", err, want)
		}
	}
	// expectAllowed retries briefly: whatever volplace's cache says, the
	// deletion must pass once it has caught up.
	expectAllowed := func(s *Scenario, why string) {
		s.T.Helper()
		attempts := 0
		s.Eventually("deleting claim data "+why, func() string {
			attempts++
			if err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Delete(s.ctx(), "data", metav1.DeleteOptions{}); err != nil {
				return err.Error()
			}
			return ""
		})
		if attempts > 1 {
			s.logf("deleting claim data %s took %d attempts", why, attempts)
		}
	}

	t.Run("allowed once the pod succeeded", func(t *testing.T) {
		t.Parallel()
		s, pod := setUp(t, "wh-guard-succeeded")
		expectDenied(s, pod)
		pod, err := s.F.Client.CoreV1().Pods(s.Namespace).Get(s.ctx(), pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod.Status.Phase = corev1.PodSucceeded
		for i := range pod.Status.Conditions {
			if pod.Status.Conditions[i].Type == corev1.PodReady {
				pod.Status.Conditions[i].Status = corev1.ConditionFalse
			}
		}
		if _, err := s.F.Client.CoreV1().Pods(s.Namespace).UpdateStatus(s.ctx(), pod, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("marking pod %s Succeeded: %v", pod.Name, err)
		}
		expectAllowed(s, "after its pod succeeded")
	})

	t.Run("allowed once the pod is deleted", func(t *testing.T) {
		t.Parallel()
		s, pod := setUp(t, "wh-guard-deleted")
		expectDenied(s, pod)
		s.DeletePod(pod)
		expectAllowed(s, "after its pod was deleted")
	})

	t.Run("annotation allows with a warning", func(t *testing.T) {
		t.Parallel()
		s, pod := setUp(t, "wh-guard-annotated")
		claims := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace)
		pvc, err := claims.Get(s.ctx(), "data", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pvc.Annotations[webhook.AnnAllowDeleteInUse] = "true"
		if _, err := claims.Update(s.ctx(), pvc, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("annotating claim data: %v", err)
		}
		client, warnings := s.WarningClient()
		if err := client.CoreV1().PersistentVolumeClaims(s.Namespace).Delete(s.ctx(), "data", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("deleting claim data annotated %s=true: %v", webhook.AnnAllowDeleteInUse, err)
		}
		expectWarnings(t, "deleting claim data", warnings.Take(), fmt.Sprintf(
			`persistentvolumeclaim "%s/data" is in use by pod(s) %s/%s (node %s); deleting anyway (annotation %s): the claim stays Terminating until they stop`,
			s.Namespace, s.Namespace, pod.Name, pod.Spec.NodeName, webhook.AnnAllowDeleteInUse))
	})
}

// A pod that sets spec.nodeName with an unbound WaitForFirstConsumer claim
// would never get its volume: volplace turns nodeName into a required node
// affinity, kube-scheduler (with volplace as extender) places the pod on
// that node, the claim is provisioned for it and the pod ends bound there.
// A pod whose claims are bound keeps its nodeName.
func TestWebhookNodeNameRewrite(t *testing.T) {
	t.Parallel()
	s := NewWebhookScenario(t, "wh-nodename")
	s.StartProvisioner()
	s.CreateCSIDriver()
	nodes := s.CreateNodes("zone-a", "zone-b", "zone-c")
	target := nodes[1].Name
	class := s.CreateStorageClass("wffc")
	s.CreateClaim("data", class.Name, "5Gi")
	s.CreateBoundClaim("bound")
	s.SyncVolplace()
	client, warnings := s.WarningClient()
	pods := client.CoreV1().Pods(s.Namespace)

	pod := s.podFor("app", "data")
	pod.Spec.NodeName = target
	created, err := pods.Create(s.ctx(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod app with spec.nodeName: %v", err)
	}
	s.record("Pod", created)
	expectWarnings(t, "creating pod app", warnings.Take(), fmt.Sprintf(
		`spec.nodeName %q replaced by a required node affinity on metadata.name: claim "data" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`, target))
	stored, err := s.F.Client.CoreV1().Pods(s.Namespace).Get(s.ctx(), created.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantAffinity := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{target}}},
		}}},
	}}
	if diff := cmp.Diff(wantAffinity, stored.Spec.Affinity); diff != "" {
		t.Errorf("stored pod app: affinity (-want +got):\n%s", diff)
	}
	// The stored pod may already be bound by kube-scheduler, to target
	// only; WaitScheduled checks that.
	if stored.Spec.NodeName != "" && stored.Spec.NodeName != target {
		t.Errorf("stored pod app: spec.nodeName %q", stored.Spec.NodeName)
	}
	if created.Spec.NodeName != "" {
		t.Errorf("pod app as created: spec.nodeName %q, want it cleared", created.Spec.NodeName)
	}
	if node := s.WaitScheduled(created); node != target {
		t.Errorf("pod app landed on %s, want %s\n%s", node, target, s.Describe(created))
	}
	s.expectProvisionedFor("data", target, "zone-b")

	pinned := s.podFor("pinned", "bound")
	pinned.Spec.NodeName = nodes[0].Name
	if pinned, err = pods.Create(s.ctx(), pinned, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod pinned: %v", err)
	}
	if pinned.Spec.NodeName != nodes[0].Name || pinned.Spec.Affinity != nil {
		t.Errorf("pod pinned with a bound claim: nodeName %q, affinity %+v; want nodeName %s and no affinity", pinned.Spec.NodeName, pinned.Spec.Affinity, nodes[0].Name)
	}
	expectWarnings(t, "creating pod pinned", warnings.Take())
}

// New StorageClasses of kubernetes.io/no-provisioner, or of a CSI driver
// that declares topology keys, get volumeBindingMode WaitForFirstConsumer
// with a warning, whether Immediate was set or defaulted; the annotation
// volplace.io/keep-immediate-binding keeps Immediate, which the validating
// webhook then denies for no-provisioner.
func TestWebhookStorageClassBindingMode(t *testing.T) {
	t.Parallel()
	s := NewWebhookScenario(t, "wh-binding-mode")
	s.CreateNodes("zone-a", "zone-b") // CSINodes declare the zone key for the driver
	s.SyncVolplace()
	const noProvisioner = "kubernetes.io/no-provisioner"
	wffc, immediate := storagev1.VolumeBindingWaitForFirstConsumer, storagev1.VolumeBindingImmediate
	localWarning := "volumeBindingMode set to WaitForFirstConsumer: kubernetes.io/no-provisioner volumes are local and must bind where the pod is scheduled (annotate the class volplace.io/keep-immediate-binding=true to keep Immediate)"
	tests := []struct {
		name, provisioner string
		mode              *storagev1.VolumeBindingMode
		keepImmediate     bool
		want              storagev1.VolumeBindingMode
		warnings          []string
		denied            string
	}{
		{name: "local-unset", provisioner: noProvisioner, want: wffc, warnings: []string{localWarning}},
		{name: "local-immediate", provisioner: noProvisioner, mode: &immediate, want: wffc, warnings: []string{localWarning}},
		{name: "local-wffc", provisioner: noProvisioner, mode: &wffc, want: wffc},
		{name: "local-keep", provisioner: noProvisioner, mode: &immediate, keepImmediate: true,
			denied: `volumeBindingMode: Invalid value: "Immediate": kubernetes.io/no-provisioner volumes are local: use WaitForFirstConsumer so that claims bind where their pod is scheduled`},
		{name: "csi-immediate", provisioner: s.Driver, mode: &immediate, want: wffc, warnings: []string{fmt.Sprintf(
			"volumeBindingMode set to WaitForFirstConsumer: CSI driver %s declares topology keys (topology.kubernetes.io/zone) on its nodes, so Immediate binding would provision before the pod's node is known (annotate the class volplace.io/keep-immediate-binding=true to keep Immediate)", s.Driver)}},
		{name: "csi-keep", provisioner: s.Driver, mode: &immediate, keepImmediate: true, want: immediate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, warnings, err := s.F.WarningClient()
			if err != nil {
				t.Fatal(err)
			}
			sc := &storagev1.StorageClass{
				ObjectMeta:        metav1.ObjectMeta{Name: s.Name + "-" + tc.name, Labels: map[string]string{WebhookLabel: WebhooksOn}},
				Provisioner:       tc.provisioner,
				VolumeBindingMode: tc.mode,
			}
			if tc.keepImmediate {
				sc.Annotations = map[string]string{webhook.AnnKeepImmediate: "true"}
			}
			_, err = client.StorageV1().StorageClasses().Create(t.Context(), sc, metav1.CreateOptions{})
			if tc.denied != "" {
				expectInvalid(t, err, "volumeBindingMode", fmt.Sprintf(`admission webhook %q denied the request: StorageClass.storage.k8s.io %q is invalid: %s`, hookStorageClassCheck, sc.Name, tc.denied))
				return
			}
			if err != nil {
				t.Fatalf("creating StorageClass %s: %v", sc.Name, err)
			}
			stored, err := s.F.Client.StorageV1().StorageClasses().Get(t.Context(), sc.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := deref(stored.VolumeBindingMode); got != tc.want {
				t.Errorf("stored StorageClass %s: volumeBindingMode %v, want %s", sc.Name, got, tc.want)
			}
			expectWarnings(t, "creating StorageClass "+sc.Name, warnings.Take(), tc.warnings...)
		})
	}
}

// Certificates rotate under a steady stream of admission requests through
// webhooks with failurePolicy Fail, without a single failure: (i) the
// serving files are replaced by a certificate of the same CA, which the
// certwatcher picks up; (ii) volplace's self-signed manager rotates to a new
// CA, publishing a bundle with both CAs before serving the new certificate.
func TestWebhookCertificateRotation(t *testing.T) {
	t.Parallel()
	const (
		workers = 2
		period  = 20 * time.Millisecond
		// settle is how many requests are admitted before the rotation
		// starts and after the new certificate is served: counted, so
		// that a loaded machine takes longer instead of failing.
		settle   = 25
		rotation = 15 * time.Second
	)
	// waitServed waits until addr serves a certificate other than old and
	// returns it.
	waitServed := func(s *Scenario, addr string, old *x509.Certificate) *x509.Certificate {
		s.T.Helper()
		var served *x509.Certificate
		err := harness.Poll(s.ctx(), rotation, func() (bool, error) {
			cert, err := ServedCertificate(s.ctx(), addr)
			if err != nil {
				return false, nil //nolint:nilerr // a failed handshake is retried
			}
			served = cert
			return !served.Equal(old), nil
		})
		if err != nil {
			s.T.Fatalf("%s still serves certificate %s after %v: %v", addr, old.SerialNumber, rotation, err)
		}
		return served
	}
	expectNoFailures := func(s *Scenario, st *requestStream) {
		s.T.Helper()
		sent, failed, errs := st.Stop()
		s.logf("%d requests, %d failed", sent, failed)
		if failed > 0 {
			s.T.Errorf("%d of %d admission requests failed during the rotation, first:\n  %s", failed, sent, joinLines(errs))
		}
	}

	t.Run("serving files replaced", func(t *testing.T) {
		t.Parallel()
		s := NewWebhookScenario(t, "wh-rotate-files", ownWebhooks, namespaceDefaultClass("ebs"))
		stableClusterDefault(t)
		class := s.CreateStorageClass("ebs", ebsProvisioner)
		s.SyncVolplace()
		s.OwnWebhookConfigurations(s.F.WebhookAddr, s.F.WebhookCA.CertPEM)
		s.WaitDefaulted(class.Name)
		old, err := ServedCertificate(s.ctx(), s.F.WebhookAddr)
		if err != nil {
			t.Fatal(err)
		}
		serving, err := newServingCert(s.F.WebhookCA)
		if err != nil {
			t.Fatal(err)
		}

		st := s.StreamClaims(workers, period, class.Name)
		st.WaitSent(s, settle)
		// As a Secret volume or cert-manager would: each file replaced
		// atomically, the key first.
		for _, f := range []struct {
			name string
			data []byte
		}{{"tls.key", serving.KeyPEM}, {"tls.crt", serving.CertPEM}} {
			if err := replaceFile(filepath.Join(s.F.WebhookCertDir, f.name), f.data); err != nil {
				st.Stop()
				t.Fatal(err)
			}
		}
		start := time.Now()
		served := waitServed(s, s.F.WebhookAddr, old)
		s.logf("new certificate served %v after the files were replaced", time.Since(start).Round(time.Millisecond))
		st.WaitSent(s, settle)
		expectNoFailures(s, st)
		if !served.Equal(serving.Certificate()) {
			t.Errorf("volplace serves certificate %s, want the new %s", served.SerialNumber, serving.Certificate().SerialNumber)
		}
	})

	t.Run("self-signed CA rotated", func(t *testing.T) {
		t.Parallel()
		s := NewWebhookScenario(t, "wh-rotate-ca", ownWebhooks, namespaceDefaultClass("ebs"))
		stableClusterDefault(t)
		class := s.CreateStorageClass("ebs", ebsProvisioner)
		s.SyncVolplace()
		port, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		// The configurations come first, without caBundle, as the
		// self-signed overlay applies them; volplace publishes the bundle.
		config := s.OwnWebhookConfigurations(addr, nil)
		certDir := filepath.Join(t.TempDir(), "certs")
		const secret = "volplace-certs"
		s.StartVolplace("--webhook-bind-address="+addr, "--cert-dir="+certDir,
			"--self-signed-certs", "--self-signed-secret="+s.Namespace+"/"+secret, "--webhook-dns-name=127.0.0.1",
			"--mutating-webhook-configuration="+config, "--validating-webhook-configuration="+config)
		s.WaitDefaulted(class.Name)
		oldCA := secretCA(s, secret)
		old, err := ServedCertificate(s.ctx(), addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := old.CheckSignatureFrom(oldCA); err != nil {
			t.Fatalf("volplace serves a certificate its Secret's CA did not sign: %v", err)
		}

		st := s.StreamClaims(workers, period, class.Name)
		st.WaitSent(s, settle)
		// Another replica finds the certificate due for renewal: a new CA
		// and certificate, the bundle first.
		opts := certs.DefaultSelfSignedOptions()
		opts.Client = s.F.Client
		opts.SecretNamespace, opts.SecretName = s.Namespace, secret
		opts.DNSNames = []string{"127.0.0.1"}
		opts.CertDir = certDir
		opts.MutatingWebhookConfiguration, opts.ValidatingWebhookConfiguration = config, config
		opts.RenewBefore = opts.CertValidity + 24*time.Hour
		opts.PropagationDelay = 2 * time.Second
		start := time.Now()
		if err := certs.NewSelfSigned(opts).Sync(s.ctx()); err != nil {
			st.Stop()
			t.Fatalf("rotating: %v", err)
		}
		served := waitServed(s, addr, old)
		s.logf("new certificate served %v after the rotation started", time.Since(start).Round(time.Millisecond))
		st.WaitSent(s, settle)
		expectNoFailures(s, st)

		newCA := secretCA(s, secret)
		if newCA.Equal(oldCA) {
			t.Fatalf("the Secret's CA did not change")
		}
		if err := served.CheckSignatureFrom(newCA); err != nil {
			t.Errorf("the new serving certificate is not signed by the new CA: %v", err)
		}
		mutating, err := s.F.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(s.ctx(), config, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validating, err := s.F.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(s.ctx(), config, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bundles := map[string][]byte{}
		for _, w := range mutating.Webhooks {
			bundles["mutating "+w.Name] = w.ClientConfig.CABundle
		}
		for _, w := range validating.Webhooks {
			bundles["validating "+w.Name] = w.ClientConfig.CABundle
		}
		for hook, bundle := range bundles {
			cas, err := parseCerts(bundle)
			if err != nil {
				t.Errorf("%s: caBundle: %v", hook, err)
				continue
			}
			if len(cas) != 2 || !cas[0].Equal(newCA) || !cas[1].Equal(oldCA) {
				var serials []string
				for _, c := range cas {
					serials = append(serials, c.SerialNumber.String())
				}
				t.Errorf("%s: caBundle holds CAs %v, want the new %s then the old %s", hook, serials, newCA.SerialNumber, oldCA.SerialNumber)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(bundle)
			for what, cert := range map[string]*x509.Certificate{"old": old, "new": served} {
				if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"}); err != nil {
					t.Errorf("%s: the caBundle does not verify the %s serving certificate: %v", hook, what, err)
				}
			}
		}
	})
}

// secretCA returns the CA certificate of volplace's self-signed Secret.
func secretCA(s *Scenario, name string) *x509.Certificate {
	s.T.Helper()
	secret, err := s.F.Client.CoreV1().Secrets(s.Namespace).Get(s.ctx(), name, metav1.GetOptions{})
	if err != nil {
		s.T.Fatalf("reading the self-signed Secret: %v", err)
	}
	cas, err := parseCerts(secret.Data["ca.crt"])
	if err != nil || len(cas) != 1 {
		s.T.Fatalf("Secret %s/%s: ca.crt holds %d certificates (%v), want 1", s.Namespace, name, len(cas), err)
	}
	return cas[0]
}

// replaceFile replaces a file atomically: a temporary file in the same
// directory, renamed over it.
func replaceFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func joinLines(lines []string) string { return strings.Join(lines, "\n  ") }
