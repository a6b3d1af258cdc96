package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// Keys of the self-signed Secret.
const (
	keyCACert   = "ca.crt"
	keyCAKey    = "ca.key"
	keyCABundle = "ca-bundle.crt"
	keyTLSCert  = "tls.crt"
	keyTLSKey   = "tls.key"
)

// SelfSignedOptions configure self-managed webhook certificates.
type SelfSignedOptions struct {
	Client                          kubernetes.Interface
	SecretNamespace, SecretName     string
	DNSNames                        []string
	CertDir                         string
	MutatingWebhookConfiguration    string
	ValidatingWebhookConfiguration  string
	CAValidity, CertValidity        time.Duration
	RenewBefore                     time.Duration
	CheckInterval, PropagationDelay time.Duration
}

// DefaultSelfSignedOptions returns a 10-year CA, 1-year serving
// certificates renewed 90 days before expiry, checked every minute (which
// also publishes the bundle to webhook configurations created later).
func DefaultSelfSignedOptions() SelfSignedOptions {
	return SelfSignedOptions{
		CAValidity:       10 * 365 * 24 * time.Hour,
		CertValidity:     365 * 24 * time.Hour,
		RenewBefore:      90 * 24 * time.Hour,
		CheckInterval:    time.Minute,
		PropagationDelay: 5 * time.Second,
	}
}

// SelfSigned keeps a CA and a serving certificate in a Secret, the source
// of truth shared by replicas; writes them to the certificate directory that
// the webhook server's certwatcher reads; keeps the caBundle of volplace's
// webhook configurations current; and rotates before expiry. On rotation
// the bundle keeps the previous CA, and the new certificate is served only
// after the bundle is published, so that no request fails.
type SelfSigned struct {
	opts  SelfSignedOptions
	ready atomic.Bool
}

// NewSelfSigned returns a manager; run it with Start.
func NewSelfSigned(opts SelfSignedOptions) *SelfSigned { return &SelfSigned{opts: opts} }

// Ready reports whether a certificate has been written to the directory.
func (s *SelfSigned) Ready() bool { return s.ready.Load() }

// Start syncs at once, then every CheckInterval, until ctx ends.
func (s *SelfSigned) Start(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithName("certs")
	ticker := time.NewTicker(s.opts.CheckInterval)
	defer ticker.Stop()
	for {
		if err := s.Sync(ctx); err != nil {
			logger.Error(err, "Syncing self-signed certificates failed; retrying")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Sync brings the Secret, the webhook configurations and the files up to
// date, rotating the certificates when they are missing, invalid, for other
// names or about to expire. When another replica writes the Secret first,
// Sync adopts what it wrote.
func (s *SelfSigned) Sync(ctx context.Context) error {
	err := s.sync(ctx)
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		err = s.sync(ctx)
	}
	return err
}

func (s *SelfSigned) sync(ctx context.Context) error {
	secrets := s.opts.Client.CoreV1().Secrets(s.opts.SecretNamespace)
	secret, err := secrets.Get(ctx, s.opts.SecretName, metav1.GetOptions{})
	exists := err == nil
	switch {
	case apierrors.IsNotFound(err):
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.opts.SecretNamespace, Name: s.opts.SecretName}, Type: corev1.SecretTypeOpaque}
	case err != nil:
		return fmt.Errorf("reading secret %s/%s: %w", s.opts.SecretNamespace, s.opts.SecretName, err)
	}
	rotated := false
	if reason := s.needsRotation(secret.Data); reason != "" {
		klog.FromContext(ctx).Info("Rotating self-signed webhook certificates", "reason", reason, "secret", klog.KObj(secret))
		if secret.Data, err = s.rotate(secret.Data); err != nil {
			return err
		}
		if !exists {
			secret, err = secrets.Create(ctx, secret, metav1.CreateOptions{})
		} else {
			secret, err = secrets.Update(ctx, secret, metav1.UpdateOptions{})
		}
		if err != nil {
			// Another replica may have won the race: adopt its certificates
			// on the next sync.
			return fmt.Errorf("writing secret %s/%s: %w", s.opts.SecretNamespace, s.opts.SecretName, err)
		}
		rotated = true
	}
	published, err := s.publishBundle(ctx, secret.Data[keyCABundle])
	if err != nil {
		return err
	}
	if (rotated || published) && s.opts.PropagationDelay > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.opts.PropagationDelay):
		}
	}
	if err := s.writeFiles(secret.Data); err != nil {
		return err
	}
	s.ready.Store(true)
	return nil
}

// needsRotation returns why the Secret's certificates must be replaced, or
// "" when they are fine.
func (s *SelfSigned) needsRotation(data map[string][]byte) string {
	pair, err := tls.X509KeyPair(data[keyTLSCert], data[keyTLSKey])
	if err != nil {
		return "no valid serving certificate"
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return "no valid serving certificate"
	}
	if time.Until(cert.NotAfter) < s.opts.RenewBefore {
		return "serving certificate expires " + cert.NotAfter.Format(time.RFC3339)
	}
	for _, name := range s.opts.DNSNames {
		if cert.VerifyHostname(name) != nil {
			return "serving certificate does not cover " + name
		}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data[keyCABundle]) {
		return "no CA bundle"
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
		return "serving certificate not signed by the bundle"
	}
	return ""
}

// rotate creates a new CA and serving certificate; the bundle holds the new
// CA and, while it is still valid, the previous one.
func (s *SelfSigned) rotate(old map[string][]byte) (map[string][]byte, error) {
	ca, err := NewCA("volplace-webhook-ca", s.opts.CAValidity)
	if err != nil {
		return nil, err
	}
	var dns []string
	var ips []net.IP
	for _, name := range s.opts.DNSNames {
		if ip := net.ParseIP(name); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, name)
		}
	}
	serving, err := ca.NewServing(dns, ips, s.opts.CertValidity)
	if err != nil {
		return nil, err
	}
	bundle := slices.Clone(ca.CertPEM)
	if prev := validCert(old[keyCACert]); prev != nil {
		bundle = append(bundle, old[keyCACert]...)
	}
	return map[string][]byte{
		keyCACert:   ca.CertPEM,
		keyCAKey:    ca.KeyPEM,
		keyCABundle: bundle,
		keyTLSCert:  serving.CertPEM,
		keyTLSKey:   serving.KeyPEM,
	}, nil
}

func validCert(data []byte) *x509.Certificate {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || time.Now().After(cert.NotAfter) {
		return nil
	}
	return cert
}

type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// publishBundle sets caBundle on every webhook of volplace's configurations
// that does not have it yet, and reports whether it changed any. A
// configuration that does not exist is skipped.
func (s *SelfSigned) publishBundle(ctx context.Context, bundle []byte) (bool, error) {
	reg := s.opts.Client.AdmissionregistrationV1()
	mutating, err := publishTo(ctx, reg.MutatingWebhookConfigurations(), "MutatingWebhookConfiguration",
		s.opts.MutatingWebhookConfiguration, bundle, func(c *admissionregistrationv1.MutatingWebhookConfiguration) [][]byte {
			bundles := make([][]byte, len(c.Webhooks))
			for i, w := range c.Webhooks {
				bundles[i] = w.ClientConfig.CABundle
			}
			return bundles
		})
	if err != nil {
		return false, err
	}
	validating, err := publishTo(ctx, reg.ValidatingWebhookConfigurations(), "ValidatingWebhookConfiguration",
		s.opts.ValidatingWebhookConfiguration, bundle, func(c *admissionregistrationv1.ValidatingWebhookConfiguration) [][]byte {
			bundles := make([][]byte, len(c.Webhooks))
			for i, w := range c.Webhooks {
				bundles[i] = w.ClientConfig.CABundle
			}
			return bundles
		})
	return mutating || validating, err
}

// configClient is what publishTo needs of the typed client of one kind of
// webhook configuration.
type configClient[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (*T, error)
}

// publishTo patches bundle into the webhooks of one configuration (bundles
// reads their current ones) and reports whether it patched. An empty name
// or a configuration that does not exist is skipped.
func publishTo[T any](ctx context.Context, client configClient[T], kind, name string, bundle []byte, bundles func(*T) [][]byte) (bool, error) {
	if name == "" {
		return false, nil
	}
	cfg, err := client.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		p := bundlePatch(bundles(cfg), bundle)
		if p == nil {
			return false, nil
		}
		if _, err = client.Patch(ctx, name, types.JSONPatchType, p, metav1.PatchOptions{}); err == nil {
			return true, nil
		}
	}
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("publishing caBundle to %s %s: %w", kind, name, err)
}

// bundlePatch returns a JSON patch setting caBundle on every webhook whose
// bundle differs, or nil when all are current.
func bundlePatch(current [][]byte, bundle []byte) []byte {
	var ops []jsonPatchOp
	for i, b := range current {
		if !bytes.Equal(b, bundle) {
			ops = append(ops, jsonPatchOp{Op: "add", Path: fmt.Sprintf("/webhooks/%d/clientConfig/caBundle", i), Value: base64.StdEncoding.EncodeToString(bundle)})
		}
	}
	if len(ops) == 0 {
		return nil
	}
	patch, _ := json.Marshal(ops)
	return patch
}

// writeFiles writes the serving certificate and key (and the CA bundle) to
// the directory when they differ, each atomically.
func (s *SelfSigned) writeFiles(data map[string][]byte) error {
	if err := os.MkdirAll(s.opts.CertDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", s.opts.CertDir, err)
	}
	for _, f := range []struct{ name, key string }{{keyTLSKey, keyTLSKey}, {keyTLSCert, keyTLSCert}, {keyCACert, keyCABundle}} {
		if err := writeAtomic(filepath.Join(s.opts.CertDir, f.name), data[f.key]); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	if len(data) == 0 {
		return errors.New("refusing to write an empty " + filepath.Base(path))
	}
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteFiles writes a key pair and its CA as tls.crt, tls.key and ca.crt in
// dir, for `volplace certs generate`.
func WriteFiles(dir string, ca, serving *KeyPair) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for name, data := range map[string][]byte{keyCACert: ca.CertPEM, keyTLSCert: serving.CertPEM, keyTLSKey: serving.KeyPEM} {
		if err := writeAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}
