package storage

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// TestDeletionGuard: with kube-controller-manager's pvc-protection
// controller running, deleting a claim that a placed pod uses is refused by
// volplace's webhook, naming the pod; once the pod is gone the claim is
// deleted, pvc-protection lets it go, and the provisioner deletes its PV.
func TestDeletionGuard(t *testing.T) {
	ctx := t.Context()
	if err := fw.WebhooksReady(ctx); err != nil {
		t.Fatalf("volplace's webhooks: %v", err)
	}
	s := e2e.NewScenario(t, "guard", e2e.ProfileDefault, func(_ *e2e.Scenario, ns *corev1.Namespace) {
		ns.Labels = map[string]string{e2e.WebhookLabel: e2e.WebhooksOn}
	})
	d := startDriver(s, harness.DriverSpec{Nodes: map[string]harness.DriverNode{
		"zone-b-1": {Zone: "zone-b", Capacity: 10 * gi},
	}})
	class := driverClass(s, d)
	claim := s.CreateClaim("data", class.Name, "1Gi")
	pod := createPod(s, "app", claim.Name)
	var st *state
	poll(t, placeTimeout, "the pod placed with its claim bound", func() (bool, error) {
		var err error
		st, err = readState(ctx, s)
		return err == nil && st.placed(podNamed(st, pod.Name), false), err
	})
	pvName := st.claims[claim.Name].Spec.VolumeName
	if got := st.claims[claim.Name].Finalizers; !slices.Contains(got, "kubernetes.io/pvc-protection") {
		t.Errorf("claim finalizers %v, want kubernetes.io/pvc-protection", got)
	}

	err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Delete(ctx, claim.Name, metav1.DeleteOptions{})
	if err == nil || !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), pod.Name) {
		t.Fatalf("deleting the claim of a placed pod: got %v, want a denial naming pod %s", err, pod.Name)
	}
	t.Logf("denied as expected: %v", err)

	// No kubelet confirms the pod's end: delete it at once.
	if err := fw.Client.CoreV1().Pods(s.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	// volplace's cache may still hold the pod for a moment.
	poll(t, placeTimeout, "the claim's deletion accepted", func() (bool, error) {
		err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Delete(ctx, claim.Name, metav1.DeleteOptions{})
		return err == nil || apierrors.IsNotFound(err), nil
	})
	poll(t, placeTimeout, "the claim and its PV gone", func() (bool, error) {
		_, errC := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
		_, errV := fw.Client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
		return apierrors.IsNotFound(errC) && apierrors.IsNotFound(errV), nil
	})
}
