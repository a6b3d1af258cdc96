package certs

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func webhookConfigs() (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration) {
	m := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "volplace"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "a.volplace.io"}, {Name: "b.volplace.io"}}}
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "volplace"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "c.volplace.io"}}}
	return m, v
}

// servedCert reads the certificate written to dir and checks that the
// published bundle verifies it for the DNS name.
func servedCert(t *testing.T, client *fake.Clientset, dir string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cert := validCert(data)
	if cert == nil {
		t.Fatal("tls.crt holds no valid certificate")
	}
	m, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(context.Background(), "volplace", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "volplace", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bundles := [][]byte{m.Webhooks[0].ClientConfig.CABundle, m.Webhooks[1].ClientConfig.CABundle, v.Webhooks[0].ClientConfig.CABundle}
	for i, bundle := range bundles {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(bundle) {
			t.Fatalf("webhook %d has no caBundle", i)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "volplace.volplace-system.svc"}); err != nil {
			t.Fatalf("webhook %d's caBundle does not verify the served certificate: %v", i, err)
		}
	}
	return cert
}

func TestSelfSigned(t *testing.T) {
	m, v := webhookConfigs()
	client := fake.NewClientset(m, v)
	dir := t.TempDir()
	opts := DefaultSelfSignedOptions()
	opts.Client = client
	opts.SecretNamespace, opts.SecretName = "volplace-system", "volplace-certs"
	opts.DNSNames = []string{"volplace.volplace-system.svc", "127.0.0.1"}
	opts.CertDir = dir
	opts.MutatingWebhookConfiguration, opts.ValidatingWebhookConfiguration = "volplace", "volplace"
	opts.PropagationDelay = 0
	s := NewSelfSigned(opts)
	ctx := context.Background()

	if s.Ready() {
		t.Fatal("ready before the first sync")
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if !s.Ready() {
		t.Fatal("not ready after the first sync")
	}
	first := servedCert(t, client, dir)
	secret, err := client.CoreV1().Secrets("volplace-system").Get(ctx, "volplace-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A second replica (same Secret) adopts the certificate without rotating.
	dir2 := t.TempDir()
	opts2 := opts
	opts2.CertDir = dir2
	if err := NewSelfSigned(opts2).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := servedCert(t, client, dir2); !got.Equal(first) {
		t.Error("second replica serves another certificate")
	}
	again, _ := client.CoreV1().Secrets("volplace-system").Get(ctx, "volplace-certs", metav1.GetOptions{})
	if again.ResourceVersion != secret.ResourceVersion {
		t.Error("a sync without reason rewrote the secret")
	}

	// Close to expiry: rotate, and keep the old CA in the bundle so that a
	// replica still serving the old certificate is trusted.
	s.opts.RenewBefore = 2 * opts.CertValidity
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("rotating sync: %v", err)
	}
	s.opts.RenewBefore = opts.RenewBefore
	second := servedCert(t, client, dir)
	if second.Equal(first) {
		t.Fatal("certificate not rotated")
	}
	m2, _ := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "volplace", metav1.GetOptions{})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(m2.Webhooks[0].ClientConfig.CABundle)
	if _, err := first.Verify(x509.VerifyOptions{Roots: roots, DNSName: "volplace.volplace-system.svc"}); err != nil {
		t.Errorf("the rotated bundle no longer trusts the previous certificate: %v", err)
	}
	if err := second.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("IP SAN missing: %v", err)
	}

	// A new DNS name forces a new certificate.
	s.opts.DNSNames = append(s.opts.DNSNames, "volplace.example.com")
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := servedCert(t, client, dir).VerifyHostname("volplace.example.com"); err != nil {
		t.Errorf("new DNS name not served: %v", err)
	}
}
