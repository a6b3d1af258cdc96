package e2e

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// provisionInterval is how often the fake provisioner looks for claims.
const provisionInterval = 200 * time.Millisecond

// StartProvisioner runs, until the test ends, a fake that stands in for the
// CSI external-provisioner and the PV controller in the scenario's
// namespace. kube-scheduler's VolumeBinding plugin sets
// volume.kubernetes.io/selected-node on a WaitForFirstConsumer claim in
// PreBind and then waits for the claim to be bound; for every such claim of
// a class of the scenario's driver, the fake creates a CSI PersistentVolume
// with node affinity to the selected node's zone (its hostname if it has no
// zone) and binds the two as the PV controller would.
func (s *Scenario) StartProvisioner() {
	ctx := s.ctx() // done before Cleanup runs
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(provisionInterval)
		defer ticker.Stop()
		failures := map[string]int{}
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			claims, err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range claims.Items {
				pvc := &claims.Items[i]
				if pvc.Spec.VolumeName != "" || pvc.Annotations[annSelectedNode] == "" {
					continue
				}
				if err := s.provision(ctx, pvc); err != nil && ctx.Err() == nil {
					// Conflicts with kube-scheduler's own writes are
					// expected; the next round retries.
					if failures[pvc.Name]++; failures[pvc.Name] == 5 {
						s.T.Errorf("fake provisioner: claim %s: %v", pvc.Name, err)
					}
				}
			}
		}
	}()
	s.T.Cleanup(func() { <-done })
}

// provision creates the PV of a claim and binds both.
func (s *Scenario) provision(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	nodeName := pvc.Annotations[annSelectedNode]
	if pvc.Spec.StorageClassName == nil {
		return fmt.Errorf("selected node %s set on a claim without storage class", nodeName)
	}
	class, err := s.F.Client.StorageV1().StorageClasses().Get(ctx, *pvc.Spec.StorageClassName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if class.Provisioner != s.Driver {
		return nil // not ours
	}
	node, err := s.F.Client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	key, value := corev1.LabelTopologyZone, node.Labels[corev1.LabelTopologyZone]
	if value == "" {
		key, value = corev1.LabelHostname, node.Labels[corev1.LabelHostname]
	}

	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "pvc-" + string(pvc.UID),
			Annotations: map[string]string{annProvisionedBy: s.Driver},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			StorageClassName:              class.Name,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			VolumeMode:                    pvc.Spec.VolumeMode,
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				CSI: &corev1.CSIPersistentVolumeSource{Driver: s.Driver, VolumeHandle: "vol-" + string(pvc.UID)},
			},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{value}}},
			}}}},
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
	}
	if _, err := createPV(ctx, s.F, pv); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}

	claims := s.F.Client.CoreV1().PersistentVolumeClaims(pvc.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := claims.Get(ctx, pvc.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pvc.UID || cur.Annotations[annSelectedNode] != nodeName {
			return fmt.Errorf("claim changed under the provisioner (selected node now %q)", cur.Annotations[annSelectedNode])
		}
		if cur.Spec.VolumeName == "" {
			cur.Spec.VolumeName = pv.Name
			cur.Annotations[annBindCompleted] = "yes"
			cur.Annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
			if cur, err = claims.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		cur.Status.Phase = corev1.ClaimBound
		cur.Status.AccessModes = pv.Spec.AccessModes
		cur.Status.Capacity = pv.Spec.Capacity
		if _, err := claims.UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return err
		}
		s.logf("fake provisioner: bound claim %s to new PV %s (%s=%s) for node %s", pvc.Name, pv.Name, key, value, nodeName)
		return nil
	})
}
