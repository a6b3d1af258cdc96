package certs

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServingConfigClientCertificates starts an HTTPS server that requires
// client certificates and checks who gets in.
func TestServingConfigClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.NewServing([]string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := ca.NewClient("kube-scheduler", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := NewCA("other-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := otherCA.NewClient("intruder", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := ServingConfig(
		writeFile(t, dir, "tls.crt", serving.CertPEM),
		writeFile(t, dir, "tls.key", serving.KeyPEM),
		writeFile(t, dir, "ca.crt", ca.CertPEM))
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		ReadHeaderTimeout: time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.Serve(l) }()
	defer func() { _ = srv.Close() }()
	url := "https://" + l.Addr().String()

	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	client := func(pair *KeyPair, maxVersion uint16) *http.Client {
		c := &tls.Config{RootCAs: roots, MaxVersion: maxVersion}
		if pair != nil {
			cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			c.Certificates = []tls.Certificate{cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: c}, Timeout: 5 * time.Second}
	}
	tests := []struct {
		name   string
		client *http.Client
		wantOK bool
	}{
		{name: "trusted client certificate", client: client(trusted, 0), wantOK: true},
		{name: "no client certificate", client: client(nil, 0)},
		{name: "client certificate of another CA", client: client(untrusted, 0)},
		{name: "TLS 1.1 is refused", client: client(trusted, tls.VersionTLS11)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(url)
			if err == nil {
				_ = resp.Body.Close()
			}
			if got := err == nil; got != tt.wantOK {
				t.Errorf("request succeeded = %v (err %v), want %v", got, err, tt.wantOK)
			}
		})
	}
}

func TestServingConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "ca.crt", []byte("not a certificate"))
	ca, err := NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.NewServing([]string{"localhost"}, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	servingCert, servingKey := writeFile(t, dir, "tls.crt", serving.CertPEM), writeFile(t, dir, "tls.key", serving.KeyPEM)
	tests := []struct {
		name             string
		cert, key, ca    string
		wantErrSubstring string
	}{
		{name: "missing key", cert: "tls.crt", wantErrSubstring: "both a certificate and a key file are required"},
		{name: "unreadable files", cert: filepath.Join(dir, "nope.crt"), key: filepath.Join(dir, "nope.key"), wantErrSubstring: "loading serving certificate"},
		{name: "CA without certificates", cert: servingCert, key: servingKey, ca: notPEM, wantErrSubstring: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ServingConfig(tt.cert, tt.key, tt.ca)
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstring) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErrSubstring)
			}
		})
	}
}
