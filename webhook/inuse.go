package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

// maxNamedPods bounds the pods a denial names.
const maxNamedPods = 10

// users filters the pods that hold the claim: they reference it and have
// not finished (unless finished pods count).
func (v *pvcValidator) users(pods []*corev1.Pod, claim string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		finished := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		if topology.UsesClaim(p, claim) && (!finished || v.opts.CountFinishedPods) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ValidateDelete refuses to delete a claim that pods still use, naming them.
// The cache answers first; only when it says "in use" are the pods it names
// read live to confirm it, since the cache may lag behind a pod's deletion. kubernetes.io/pvc-protection stays the ground truth: this check
// only turns a silent Terminating claim into an immediate explanation.
func (v *pvcValidator) ValidateDelete(ctx context.Context, pvc *corev1.PersistentVolumeClaim) (admission.Warnings, error) {
	if !v.opts.DeletionGuard {
		return nil, nil
	}
	users := v.users(v.cluster.PodsByClaim(pvc.Namespace, pvc.Name), pvc.Name)
	if len(users) == 0 {
		record(ruleDeletionGuard, decisionAllowed)
		return nil, nil
	}
	if pvc.Annotations[AnnAllowDeleteInUse] == "true" {
		record(ruleDeletionGuard, decisionWarned)
		return admission.Warnings{fmt.Sprintf("%s; deleting anyway (annotation %s): the claim stays Terminating until they stop", inUseMessage(pvc, users), AnnAllowDeleteInUse)}, nil
	}
	if v.client != nil {
		confirmed, err := v.confirmUsers(ctx, pvc, users)
		if err != nil {
			klog.FromContext(ctx).Error(err, "Confirming claim users with a live read failed; using the cache", "pvc", klog.KObj(pvc))
		} else if users = confirmed; len(users) == 0 {
			record(ruleDeletionGuard, decisionAllowed)
			return nil, nil
		}
	}
	record(ruleDeletionGuard, decisionDenied)
	return nil, fmt.Errorf("%s; delete them first, or annotate the claim %s=true", inUseMessage(pvc, users), AnnAllowDeleteInUse)
}

// maxConfirmedPods bounds the live reads of one deletion: past it, the
// users the cache names but that were not read are assumed current.
const maxConfirmedPods = 2 * maxNamedPods

// confirmUsers reads the pods the cache says use the claim from the API
// server, since the cache may lag behind a pod's deletion or end, and
// returns those that still use it. Reading each named pod costs a few small
// requests, where listing the namespace could return thousands of pods.
func (v *pvcValidator) confirmUsers(ctx context.Context, pvc *corev1.PersistentVolumeClaim, cached []*corev1.Pod) ([]*corev1.Pod, error) {
	var live []*corev1.Pod
	for i, p := range cached {
		if i == maxConfirmedPods {
			return append(live, cached[i:]...), nil
		}
		pod, err := v.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		live = append(live, v.users([]*corev1.Pod{pod}, pvc.Name)...)
	}
	return live, nil
}

func inUseMessage(pvc *corev1.PersistentVolumeClaim, users []*corev1.Pod) string {
	var parts []string
	for i, p := range users {
		if i == maxNamedPods {
			parts = append(parts, fmt.Sprintf("and %d more", len(users)-maxNamedPods))
			break
		}
		node := "node " + p.Spec.NodeName
		if p.Spec.NodeName == "" {
			node = "not scheduled"
		}
		parts = append(parts, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, node))
	}
	return fmt.Sprintf("persistentvolumeclaim %q is in use by pod(s) %s", pvc.Namespace+"/"+pvc.Name, strings.Join(parts, ", "))
}
