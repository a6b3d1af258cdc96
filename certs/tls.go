package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// cipherSuites are the TLS 1.2 suites volplace accepts: ECDHE key exchange
// with AEAD ciphers only. TLS 1.3 suites are not configurable.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ServingConfig returns a server TLS configuration (TLS 1.2 or later,
// modern cipher suites) whose certificate comes from a certwatcher over
// certFile and keyFile. With clientCAFile, clients must present a
// certificate signed by one of its CAs. Run the returned watcher's Start
// alongside the server.
func ServingConfig(certFile, keyFile, clientCAFile string) (*tls.Config, *certwatcher.CertWatcher, error) {
	if certFile == "" || keyFile == "" {
		return nil, nil, errors.New("both a certificate and a key file are required")
	}
	watcher, err := certwatcher.New(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("loading serving certificate: %w", err)
	}
	cfg := &tls.Config{
		GetCertificate: watcher.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	HardenTLS(cfg)
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reading client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("client CA file %s holds no PEM certificate", clientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, watcher, nil
}

// HardenTLS sets the minimum version and cipher suites volplace accepts on
// a server configuration.
func HardenTLS(cfg *tls.Config) {
	cfg.MinVersion = tls.VersionTLS12
	cfg.CipherSuites = cipherSuites
}
