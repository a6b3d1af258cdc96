package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2/textlogger"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// Webhook names of manifests/base/webhooks.yaml.
const (
	hookPVCDefaultClass   = "pvc-default-class.volplace.io"
	hookPVCAccessModes    = "pvc-access-modes.volplace.io"
	hookPVCDeletionGuard  = "pvc-deletion-guard.volplace.io"
	hookStorageClassCheck = "storageclass-checks.volplace.io"
)

// dryRun creates nothing but runs admission, webhooks included.
var dryRun = metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}

// NewWebhookScenario creates a scenario, under the default profile, whose
// namespace the suite's webhook configurations select, once kube-apiserver
// calls them. Options edit the namespace.
func NewWebhookScenario(t *testing.T, name string, opts ...func(*Scenario, *corev1.Namespace)) *Scenario {
	t.Helper()
	if fw == nil {
		t.Fatal("the e2e framework is not running (TestMain did not start it)")
	}
	if err := fw.WebhooksReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	label := func(_ *Scenario, ns *corev1.Namespace) { ns.Labels = map[string]string{WebhookLabel: WebhooksOn} }
	return NewScenario(t, name, ProfileDefault, append([]func(*Scenario, *corev1.Namespace){label}, opts...)...)
}

// ownWebhooks selects the namespace for the scenario's own webhook
// configurations (OwnWebhookConfigurations) instead of the suite's.
func ownWebhooks(s *Scenario, ns *corev1.Namespace) { ns.Labels[WebhookLabel] = s.Name }

// namespaceDefaultClass annotates the namespace with a default StorageClass
// <scenario>-<suffix>.
func namespaceDefaultClass(suffix string) func(*Scenario, *corev1.Namespace) {
	return func(s *Scenario, ns *corev1.Namespace) {
		if ns.Annotations == nil {
			ns.Annotations = map[string]string{}
		}
		ns.Annotations[webhook.AnnNamespaceDefaultClass] = s.Name + "-" + suffix
	}
}

// ebsProvisioner makes a class of ebs.csi.aws.com, whose access modes
// volplace's table knows: ReadWriteOnce and ReadWriteOncePod for
// filesystem volumes.
func ebsProvisioner(w *tt.StorageClassWrapper) { w.Provisioner = "ebs.csi.aws.com" }

// knownAccessModes tells volplace which access modes the class's
// provisioner supports, so that its claims are checked without a warning.
func knownAccessModes(w *tt.StorageClassWrapper) {
	w.Annotation(webhook.AnnAccessModes, "ReadWriteOnce,ReadWriteOncePod")
}

// WarningClient returns a client of the scenario that collects warnings.
func (s *Scenario) WarningClient() (kubernetes.Interface, *Warnings) {
	s.T.Helper()
	client, warnings, err := s.F.WarningClient()
	if err != nil {
		s.T.Fatal(err)
	}
	return client, warnings
}

// Eventually calls attempt every pollInterval until it returns "" and
// fails the test with its last message if syncTimeout passes first.
func (s *Scenario) Eventually(what string, attempt func() string) {
	s.T.Helper()
	eventually(s.T, what, attempt)
}

func eventually(t *testing.T, what string, attempt func() string) {
	t.Helper()
	var last string
	err := harness.Poll(t.Context(), syncTimeout, func() (bool, error) {
		last = attempt()
		return last == "", nil
	})
	if err != nil {
		t.Fatalf("%s: not within %v: %s (%v)", what, syncTimeout, last, err)
	}
}

// WaitDefaulted waits until a dry-run claim without class in the
// scenario's namespace gets the class from the webhooks: volplace's
// namespace cache can lag behind the namespace's annotation.
func (s *Scenario) WaitDefaulted(class string) {
	s.T.Helper()
	s.Eventually("a claim without class gets StorageClass "+class, func() string {
		got, err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Create(s.ctx(), newClaim(s.Namespace, "probe", nil), dryRun)
		switch {
		case err != nil:
			return err.Error()
		case got.Spec.StorageClassName == nil || *got.Spec.StorageClassName != class:
			return fmt.Sprintf("storageClassName %v", deref(got.Spec.StorageClassName))
		}
		return ""
	})
}

// OwnWebhookConfigurations registers webhook configurations of the
// scenario, named volplace-e2e-<scenario>: the manifest's claim defaulting
// and access-mode webhooks, calling addr with caBundle (nil: for volplace
// to publish), with failurePolicy Fail so that any failure to reach
// volplace, TLS included, fails the request. They select the namespaces
// labeled WebhookLabel=<scenario> (see ownWebhooks) and are deleted when
// the test ends.
func (s *Scenario) OwnWebhookConfigurations(addr string, caBundle []byte) string {
	s.T.Helper()
	name := "volplace-e2e-" + s.Name
	mutating, validating, err := WebhookConfigurations(WebhookTarget{
		Name: name, Addr: addr, CABundle: caBundle, Selector: s.Name,
		FailurePolicy: ptr.To(admissionregistrationv1.Fail),
		Webhooks:      []string{hookPVCDefaultClass, hookPVCAccessModes},
	})
	if err != nil {
		s.T.Fatal(err)
	}
	if err := CreateWebhookConfigurations(s.ctx(), s.F.Client, mutating, validating); err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeleteWebhookConfigurations(ctx, s.F.Client, name); err != nil {
			s.T.Errorf("deleting webhook configurations %s: %v", name, err)
		}
	})
	return name
}

// requestStream sends admission requests at a steady pace and counts the
// failures.
type requestStream struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	errs         []string
	stop         chan struct{}
	wg           sync.WaitGroup
}

// StreamClaims starts workers that each send, every period until Stop, a
// dry-run claim without class through the webhooks of the scenario's
// namespace: it must be admitted with StorageClass want.
func (s *Scenario) StreamClaims(workers int, period time.Duration, want string) *requestStream {
	st := &requestStream{stop: make(chan struct{})}
	ctx := s.ctx()
	claims := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace)
	for w := range workers {
		st.wg.Go(func() {
			ticker := time.NewTicker(period)
			defer ticker.Stop()
			for i := 0; ; i++ {
				start := time.Now()
				got, err := claims.Create(ctx, newClaim(s.Namespace, fmt.Sprintf("stream-%d-%d", w, i), nil), dryRun)
				if ctx.Err() != nil {
					return
				}
				st.sent.Add(1)
				msg := ""
				switch {
				case err != nil:
					msg = err.Error()
				case got.Spec.StorageClassName == nil || *got.Spec.StorageClassName != want:
					msg = fmt.Sprintf("admitted without the mutating webhook: storageClassName %v", deref(got.Spec.StorageClassName))
				}
				if msg != "" {
					st.failed.Add(1)
					st.mu.Lock()
					if len(st.errs) < 5 {
						st.errs = append(st.errs, fmt.Sprintf("worker %d, request %d at %s (%v): %s", w, i, start.Format("15:04:05.000"), time.Since(start).Round(time.Millisecond), msg))
					}
					st.mu.Unlock()
				}
				select {
				case <-st.stop:
					return
				case <-ticker.C:
				}
			}
		})
	}
	return st
}

// WaitSent waits until the stream has sent n more requests than it had
// when called, however long the machine takes: a count, not a time window.
func (st *requestStream) WaitSent(s *Scenario, n int64) {
	s.T.Helper()
	want := st.sent.Load() + n
	if err := harness.Poll(s.ctx(), streamStall, func() (bool, error) { return st.sent.Load() >= want, nil }); err != nil {
		s.T.Fatalf("the request stream sent %d requests, want %d: it stalled for %v", st.sent.Load(), want, streamStall)
	}
}

// streamStall is how long a request stream may send nothing before the
// test fails.
const streamStall = 2 * time.Minute

// Stop ends the stream after its request in flight and reports.
func (st *requestStream) Stop() (sent, failed int64, errs []string) {
	close(st.stop)
	st.wg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sent.Load(), st.failed.Load(), st.errs
}

// StartVolplace runs another in-process `volplace serve` with the given
// flags (health on a free loopback port, extender off unless the flags say
// otherwise) until the test ends, logging to volplace-<scenario>.log, and
// waits until it is ready.
func (s *Scenario) StartVolplace(args ...string) *harness.Volplace {
	s.T.Helper()
	logPath := filepath.Join(s.F.dir, "volplace-"+s.Name+".log")
	for i := 2; ; i++ { // one log per replica of the scenario
		if _, err := os.Stat(logPath); err != nil {
			break
		}
		logPath = filepath.Join(s.F.dir, fmt.Sprintf("volplace-%s-%d.log", s.Name, i))
	}
	out, err := os.Create(logPath)
	if err != nil {
		s.T.Fatal(err)
	}
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(4), textlogger.Output(out)))
	v, err := harness.StartVolplace(s.ctx(), s.F.Config, "e2e-"+s.Name, logger,
		append([]string{"--extender-bind-address=", "--health-bind-address=127.0.0.1:0"}, args...)...)
	if err != nil {
		_ = out.Close()
		s.T.Fatalf("starting volplace %v: %v\n--- its log:\n%s", args, err, harness.Tail(logPath, 20, ""))
	}
	s.T.Cleanup(func() {
		defer func() { _ = out.Close() }()
		if err := v.Stop(); err != nil {
			s.T.Errorf("volplace %v: %v", args, err)
		}
	})
	if err := v.WaitReady(s.ctx(), startTimeout); err != nil {
		s.T.Fatalf("volplace %v is not ready: %v\n--- its log:\n%s", args, err, harness.Tail(logPath, 20, ""))
	}
	return v
}

// expectWarnings compares the warnings a request returned with the
// expected ones.
func expectWarnings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: warnings\n  %q\nwant\n  %q", what, got, want)
	}
}

// clusterDefault creates a class marked default by the annotation ann, the
// only default of the cluster until the test ends: it holds
// clusterDefaultMu, and deletes the class, gone from volplace's cache and
// from kube-apiserver's DefaultStorageClass plugin, before releasing it. It
// returns once volplace, and for the Kubernetes annotation the plugin, take
// the class for the default.
func (s *Scenario) clusterDefault(ann string) *storagev1.StorageClass {
	s.T.Helper()
	clusterDefaultMu.Lock()
	s.T.Cleanup(clusterDefaultMu.Unlock)
	class := s.CreateStorageClass("default", knownAccessModes, func(w *tt.StorageClassWrapper) { w.Annotation(ann, "true") })
	forPlugin := ann == topology.AnnIsDefaultClass || ann == topology.AnnBetaIsDefaultClass
	s.T.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
		defer cancel()
		if err := s.F.Client.StorageV1().StorageClasses().Delete(ctx, class.Name, metav1.DeleteOptions{}); err != nil {
			s.T.Errorf("deleting default StorageClass %s: %v", class.Name, err)
			return
		}
		if err := harness.Poll(ctx, syncTimeout, func() (bool, error) {
			_, ok := s.F.Volplace.Store().StorageClass(class.Name)
			return !ok, nil
		}); err != nil {
			s.T.Errorf("volplace still caches the deleted default StorageClass %s: %v", class.Name, err)
		}
		if forPlugin {
			if err := harness.Poll(ctx, syncTimeout, func() (bool, error) {
				got, err := pluginDefault(ctx, s.F.Client)
				return err == nil && got == "", nil
			}); err != nil {
				s.T.Errorf("kube-apiserver's DefaultStorageClass plugin still gives claims the deleted StorageClass %s: %v", class.Name, err)
			}
		}
	})
	s.SyncVolplace()
	s.Eventually("the only default class in volplace's cache is "+class.Name, func() string {
		if got := defaultClassNames(s); !slices.Equal(got, []string{class.Name}) {
			return fmt.Sprintf("default classes %v", got)
		}
		return ""
	})
	if forPlugin {
		s.Eventually("kube-apiserver's DefaultStorageClass plugin gives claims "+class.Name, func() string {
			got, err := pluginDefault(s.ctx(), s.F.Client)
			switch {
			case err != nil:
				return err.Error()
			case got != class.Name:
				return fmt.Sprintf("a claim without class outside volplace's namespaces got storageClassName %q", got)
			}
			return ""
		})
	}
	return class
}

// stableClusterDefault keeps, until the test ends, the tests that add or
// delete a cluster default (clusterDefault) from running: kube-apiserver's
// DefaultStorageClass plugin and volplace's cache learn of such a class at
// slightly different times, and a claim created in between keeps the
// plugin's class (docs/webhook.md, 1), not its namespace's default.
func stableClusterDefault(t *testing.T) {
	clusterDefaultMu.RLock()
	t.Cleanup(clusterDefaultMu.RUnlock)
}

// pluginDefault returns the class ("" for none) kube-apiserver's
// DefaultStorageClass plugin gives a claim without class, in a namespace
// volplace's webhooks do not select (default), by a dry run.
func pluginDefault(ctx context.Context, client kubernetes.Interface) (string, error) {
	got, err := client.CoreV1().PersistentVolumeClaims(metav1.NamespaceDefault).Create(ctx, newClaim(metav1.NamespaceDefault, "plugin-probe", nil), dryRun)
	if err != nil {
		return "", fmt.Errorf("dry-run claim in namespace %s: %w", metav1.NamespaceDefault, err)
	}
	if got.Spec.StorageClassName == nil {
		return "", nil
	}
	return *got.Spec.StorageClassName, nil
}

// kubectlTimeout bounds one kubectl call.
const kubectlTimeout = time.Minute

// Kubectl runs the kubectl of KUBEBUILDER_ASSETS (hack/control-plane.sh
// links the machine's there), else the one on PATH, as a member of
// system:masters with stdin as its input. It returns stdout, and the
// warnings kube-apiserver returned ("Warning: " lines on stderr); the error
// carries stderr.
func (s *Scenario) Kubectl(stdin []byte, args ...string) (stdout string, warnings []string, err error) {
	s.T.Helper()
	kubectl := filepath.Join(s.F.assets, "kubectl")
	if _, statErr := os.Stat(kubectl); statErr != nil {
		if kubectl, err = exec.LookPath("kubectl"); err != nil {
			s.T.Fatalf("no kubectl in %s=%s or on PATH: hack/control-plane.sh links the machine's kubectl there; install kubectl", harness.EnvAssets, s.F.assets)
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", s.F.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	var other []string
	for line := range strings.Lines(errOut.String()) {
		line = strings.TrimSuffix(line, "\n")
		if msg, ok := strings.CutPrefix(line, "Warning: "); ok {
			warnings = append(warnings, msg)
		} else if line != "" {
			other = append(other, line)
		}
	}
	if runErr != nil {
		return out.String(), warnings, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), runErr, strings.Join(other, "\n"))
	}
	return out.String(), warnings, nil
}
