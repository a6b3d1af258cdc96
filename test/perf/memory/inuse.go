package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// The claim whose deletion the webhook must deny, and the pod it must name:
// LargeCluster's pod-00000 runs with claim data-00000.
const (
	inUseClaim = "data-00000"
	inUseUser  = st.DefaultNamespace + "/pod-00000"
)

// checkInUse asks volplace's webhook whether inUseClaim may be deleted:
// only a synced pod cache makes it deny and name inUseUser, which the
// extender's answer does not depend on.
func checkInUse(ctx context.Context, webhookURL, caFile string, objs []runtime.Object) (bool, error) {
	var claim *corev1.PersistentVolumeClaim
	for _, obj := range objs {
		if c, ok := obj.(*corev1.PersistentVolumeClaim); ok && c.Namespace == st.DefaultNamespace && c.Name == inUseClaim {
			claim = c.DeepCopy()
		}
	}
	if claim == nil {
		return false, fmt.Errorf("the cluster has no claim %s", inUseClaim)
	}
	claim.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	old, err := json.Marshal(claim)
	if err != nil {
		return false, fmt.Errorf("encoding claim %s: %w", inUseClaim, err)
	}
	body, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "volplace-memory-in-use",
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"},
			Name:      claim.Name,
			Namespace: claim.Namespace,
			Operation: admissionv1.Delete,
			OldObject: runtime.RawExtension{Raw: old},
		},
	})
	if err != nil {
		return false, fmt.Errorf("encoding the AdmissionReview: %w", err)
	}
	client, err := tlsClient(caFile)
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL+webhook.ValidatePVCPath, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("asking volplace's webhook: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, fmt.Errorf("reading the webhook's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("volplace's webhook answered HTTP %d: %.300s", resp.StatusCode, data)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &review); err != nil {
		return false, fmt.Errorf("decoding the webhook's answer: %w", err)
	}
	if review.Response == nil {
		return false, fmt.Errorf("the webhook's answer has no response: %.300s", data)
	}
	r := review.Response
	return !r.Allowed && r.Result != nil && strings.Contains(r.Result.Message, inUseUser), nil
}

// tlsClient trusts the CA in caFile.
func tlsClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the webhook CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}
