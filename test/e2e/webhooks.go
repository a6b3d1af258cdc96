package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/webhook"
)

// WebhookLabel selects the objects the suite's webhook configurations send
// to volplace: namespaces (for claims and pods) and StorageClasses carrying
// it with the value WebhooksOn. The scheduling scenarios carry neither, so
// the webhooks cannot change what they test. Tests with webhook
// configurations of their own select their namespace with another value.
const (
	WebhookLabel = "e2e.volplace.io/webhooks"
	WebhooksOn   = "true"
)

// webhookManifest holds the webhook configurations volplace ships; the
// suite registers the same webhooks (names, rules, operations,
// matchConditions, failure policies), only reached by URL.
const webhookManifest = "../../manifests/base/webhooks.yaml"

// webhookCertValidity is the validity of the suite's serving certificates.
const webhookCertValidity = 24 * time.Hour

// Objects of the webhook probe, which proves the webhooks are called.
const (
	probeNamespace = "e2e-webhook-probe"
	probeClass     = "volplace-e2e-probe"
)

// setUpWebhookCerts writes a CA and a serving certificate for 127.0.0.1
// and localhost to a new certificate directory, as `volplace certs
// generate` does, and returns volplace's flags to serve the webhooks with
// them.
func (f *Framework) setUpWebhookCerts() ([]string, error) {
	ca, err := certs.NewCA("volplace-e2e-ca", webhookCertValidity)
	if err != nil {
		return nil, err
	}
	serving, err := newServingCert(ca)
	if err != nil {
		return nil, err
	}
	f.WebhookCA, f.WebhookCertDir = ca, filepath.Join(f.dir, "webhook-certs")
	if err := certs.WriteFiles(f.WebhookCertDir, ca, serving); err != nil {
		return nil, err
	}
	// Port 0: the kernel picks a free port; WebhookAddr tells which.
	return []string{"--webhook-bind-address=127.0.0.1:0", "--cert-dir=" + f.WebhookCertDir}, nil
}

// newServingCert returns a serving certificate of the CA for 127.0.0.1 and
// localhost.
func newServingCert(ca *certs.KeyPair) (*certs.KeyPair, error) {
	return ca.NewServing([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, webhookCertValidity)
}

// WebhookTarget says how to derive webhook configurations from volplace's
// manifest.
type WebhookTarget struct {
	// Name of both configurations.
	Name string
	// Addr is the host:port of the webhook server, called by URL.
	Addr string
	// CABundle verifies the server; nil leaves it to volplace
	// (--self-signed-certs publishes it).
	CABundle []byte
	// Selector is the value of WebhookLabel that namespaces (for
	// namespaced resources) or objects (for cluster-scoped ones) need for
	// the webhooks to apply.
	Selector string
	// FailurePolicy, if set, overrides the manifest's.
	FailurePolicy *admissionregistrationv1.FailurePolicyType
	// Webhooks, if set, keeps only the webhooks of these names.
	Webhooks []string
}

var (
	manifestOnce       sync.Once
	manifestMutating   *admissionregistrationv1.MutatingWebhookConfiguration
	manifestValidating *admissionregistrationv1.ValidatingWebhookConfiguration
	manifestErr        error
)

// loadWebhookManifest decodes manifests/base/webhooks.yaml.
func loadWebhookManifest() (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	manifestOnce.Do(func() {
		data, err := os.ReadFile(webhookManifest)
		if err != nil {
			manifestErr = err
			return
		}
		decoder := scheme.Codecs.UniversalDeserializer()
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				manifestErr = fmt.Errorf("%s: %w", webhookManifest, err)
				return
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, _, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				manifestErr = fmt.Errorf("%s: %w", webhookManifest, err)
				return
			}
			switch o := obj.(type) {
			case *admissionregistrationv1.MutatingWebhookConfiguration:
				manifestMutating = o
			case *admissionregistrationv1.ValidatingWebhookConfiguration:
				manifestValidating = o
			default:
				manifestErr = fmt.Errorf("%s: unexpected %T", webhookManifest, obj)
				return
			}
		}
		if manifestMutating == nil || manifestValidating == nil {
			manifestErr = fmt.Errorf("%s lacks a Mutating- or ValidatingWebhookConfiguration", webhookManifest)
		}
	})
	if manifestErr != nil {
		return nil, nil, manifestErr
	}
	return manifestMutating.DeepCopy(), manifestValidating.DeepCopy(), nil
}

// WebhookConfigurations returns volplace's webhook configurations as the
// manifest declares them, but calling target.Addr by URL and scoped to
// target.Selector.
func WebhookConfigurations(target WebhookTarget) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	mutating, validating, err := loadWebhookManifest()
	if err != nil {
		return nil, nil, err
	}
	keep := func(name string) bool { return target.Webhooks == nil || slices.Contains(target.Webhooks, name) }
	// adapt rewrites the fields the two kinds of webhooks share.
	adapt := func(name string, cc *admissionregistrationv1.WebhookClientConfig, rules []admissionregistrationv1.RuleWithOperations,
		nsSel, objSel **metav1.LabelSelector, policy **admissionregistrationv1.FailurePolicyType) error {
		if cc.Service == nil || cc.Service.Path == nil {
			return fmt.Errorf("%s: webhook %s has no service path", webhookManifest, name)
		}
		cc.URL = ptr.To("https://" + target.Addr + *cc.Service.Path)
		cc.Service = nil
		cc.CABundle = target.CABundle
		if target.FailurePolicy != nil {
			*policy = ptr.To(*target.FailurePolicy)
		}
		// namespaceSelector does not apply to cluster-scoped objects:
		// select StorageClasses by their own labels.
		sel := nsSel
		if slices.ContainsFunc(rules, func(r admissionregistrationv1.RuleWithOperations) bool {
			return r.Scope != nil && *r.Scope == admissionregistrationv1.ClusterScope
		}) {
			sel = objSel
		}
		if *sel == nil {
			*sel = &metav1.LabelSelector{}
		}
		(*sel).MatchExpressions = append((*sel).MatchExpressions, metav1.LabelSelectorRequirement{
			Key: WebhookLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{target.Selector},
		})
		return nil
	}
	mutating.ObjectMeta = metav1.ObjectMeta{Name: target.Name}
	mutating.Webhooks = slices.DeleteFunc(mutating.Webhooks, func(w admissionregistrationv1.MutatingWebhook) bool { return !keep(w.Name) })
	for i := range mutating.Webhooks {
		w := &mutating.Webhooks[i]
		if err := adapt(w.Name, &w.ClientConfig, w.Rules, &w.NamespaceSelector, &w.ObjectSelector, &w.FailurePolicy); err != nil {
			return nil, nil, err
		}
	}
	validating.ObjectMeta = metav1.ObjectMeta{Name: target.Name}
	validating.Webhooks = slices.DeleteFunc(validating.Webhooks, func(w admissionregistrationv1.ValidatingWebhook) bool { return !keep(w.Name) })
	for i := range validating.Webhooks {
		w := &validating.Webhooks[i]
		if err := adapt(w.Name, &w.ClientConfig, w.Rules, &w.NamespaceSelector, &w.ObjectSelector, &w.FailurePolicy); err != nil {
			return nil, nil, err
		}
	}
	if target.Webhooks != nil && len(mutating.Webhooks)+len(validating.Webhooks) != len(target.Webhooks) {
		return nil, nil, fmt.Errorf("%s lacks some of the webhooks %v", webhookManifest, target.Webhooks)
	}
	return mutating, validating, nil
}

// CreateWebhookConfigurations creates the configurations; an empty one is
// skipped.
func CreateWebhookConfigurations(ctx context.Context, client kubernetes.Interface,
	mutating *admissionregistrationv1.MutatingWebhookConfiguration, validating *admissionregistrationv1.ValidatingWebhookConfiguration) error {
	reg := client.AdmissionregistrationV1()
	if len(mutating.Webhooks) > 0 {
		if _, err := reg.MutatingWebhookConfigurations().Create(ctx, mutating, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating MutatingWebhookConfiguration %s: %w", mutating.Name, err)
		}
	}
	if len(validating.Webhooks) > 0 {
		if _, err := reg.ValidatingWebhookConfigurations().Create(ctx, validating, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating ValidatingWebhookConfiguration %s: %w", validating.Name, err)
		}
	}
	return nil
}

// DeleteWebhookConfigurations deletes both configurations of a name.
func DeleteWebhookConfigurations(ctx context.Context, client kubernetes.Interface, name string) error {
	reg := client.AdmissionregistrationV1()
	err1 := reg.MutatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	err2 := reg.ValidatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err1) {
		err1 = nil
	}
	if apierrors.IsNotFound(err2) {
		err2 = nil
	}
	return errors.Join(err1, err2)
}

// registerWebhooks registers volplace's webhooks, as the manifest declares
// them, for the namespaces and StorageClasses labeled WebhookLabel=true.
func (f *Framework) registerWebhooks(ctx context.Context) error {
	f.WebhookAddr = f.Volplace.WebhookAddr()
	if f.WebhookAddr == "" {
		return errors.New("volplace serves no webhooks")
	}
	mutating, validating, err := WebhookConfigurations(WebhookTarget{
		Name: "volplace", Addr: f.WebhookAddr, CABundle: f.WebhookCA.CertPEM, Selector: WebhooksOn,
	})
	if err != nil {
		return err
	}
	return CreateWebhookConfigurations(ctx, f.Client, mutating, validating)
}

// WebhooksReady waits, once, until kube-apiserver calls the suite's
// webhooks: a dry-run claim without class in the probe namespace must get
// the namespace's default class from the mutating webhook, and then be
// denied by the validating webhook for its access mode; a dry-run
// StorageClass must get its binding mode from the mutating webhook.
func (f *Framework) WebhooksReady(ctx context.Context) error {
	f.webhooksOnce.Do(func() { f.webhooksErr = f.waitWebhooks(ctx) })
	return f.webhooksErr
}

func (f *Framework) waitWebhooks(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
	defer cancel()
	start := time.Now()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:        probeNamespace,
		Labels:      map[string]string{WebhookLabel: WebhooksOn},
		Annotations: map[string]string{webhook.AnnNamespaceDefaultClass: probeClass},
	}}
	if _, err := f.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
	}
	class := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: probeClass},
		Provisioner:       "ebs.csi.aws.com", // ReadWriteOnce only, in volplace's table
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if _, err := f.Client.StorageV1().StorageClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating StorageClass %s: %w", class.Name, err)
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	var last string
	err := harness.Poll(ctx, startTimeout, func() (bool, error) {
		pvc := newClaim(probeNamespace, "probe", nil, corev1.ReadWriteMany)
		got, err := f.Client.CoreV1().PersistentVolumeClaims(probeNamespace).Create(ctx, pvc, dryRun)
		switch {
		case err == nil:
			last = fmt.Sprintf("claim admitted with storageClassName %s", deref(got.Spec.StorageClassName))
			return false, nil
		case !apierrors.IsInvalid(err) || !hasCause(err, "spec.accessModes[0]"):
			last = fmt.Sprintf("claim: %v", err)
			return false, nil
		}
		sc := &storagev1.StorageClass{
			ObjectMeta:  metav1.ObjectMeta{Name: probeClass + "-local", Labels: map[string]string{WebhookLabel: WebhooksOn}},
			Provisioner: "kubernetes.io/no-provisioner",
		}
		gotClass, err := f.Client.StorageV1().StorageClasses().Create(ctx, sc, dryRun)
		if err != nil {
			last = fmt.Sprintf("StorageClass: %v", err)
			return false, nil
		}
		if mode := gotClass.VolumeBindingMode; mode == nil || *mode != storagev1.VolumeBindingWaitForFirstConsumer {
			last = fmt.Sprintf("StorageClass admitted with volumeBindingMode %v", deref(mode))
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver does not call volplace's webhooks at %s after %v (last probe: %s): %w\n--- volplace log tail:\n%s",
			f.WebhookAddr, startTimeout, last, err, harness.Tail(f.volplaceLog, 20, ""))
	}
	fmt.Fprintf(os.Stderr, "e2e: kube-apiserver calls volplace's webhooks at %s (ready in %v)\n", f.WebhookAddr, time.Since(start).Round(time.Millisecond))
	return nil
}

// newClaim returns a 1Gi claim of a class (nil: none set).
func newClaim(namespace, name string, class *string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: class,
			AccessModes:      modes,
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			},
		},
	}
}

// hasCause reports whether an API error names a field among its causes.
func hasCause(err error, field string) bool {
	_, ok := cause(err, field)
	return ok
}

// cause returns the cause of an API error about a field.
func cause(err error, field string) (metav1.StatusCause, bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return metav1.StatusCause{}, false
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == field {
			return c, true
		}
	}
	return metav1.StatusCause{}, false
}

func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// Warnings collects the warnings kube-apiserver returns to a client.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// Take returns the warnings collected since the last Take.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs := w.msgs
	w.msgs = nil
	return msgs
}

// WarningClient returns a client whose warnings are collected rather than
// logged.
func (f *Framework) WarningClient() (kubernetes.Interface, *Warnings, error) {
	w := &Warnings{}
	cfg := rest.CopyConfig(f.Config)
	cfg.WarningHandler = w
	client, err := kubernetes.NewForConfig(cfg)
	return client, w, err
}

// ServedCertificate returns the leaf certificate a TLS server presents,
// without verifying it.
func ServedCertificate(ctx context.Context, addr string) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	dialer := &tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the test compares the certificate itself
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	peers := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return nil, fmt.Errorf("%s presented no certificate", addr)
	}
	return peers[0], nil
}

// parseCerts parses the PEM certificates of a bundle.
func parseCerts(bundle []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for len(bundle) > 0 {
		var block *pem.Block
		block, bundle = pem.Decode(bundle)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, cert)
	}
	return out, nil
}
