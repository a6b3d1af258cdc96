package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/component-helpers/storage/volume"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/volplace/volplace/topology"
)

// podDefaulter rewrites spec.nodeName for pods whose claims wait for a
// scheduler, and optionally sends pods with claims to volplace's secondary
// scheduler or marks them for the extender.
type podDefaulter struct {
	cluster  topology.Cluster
	client   kubernetes.Interface // nil: the cache only
	opts     Options
	defaults classDefaults
}

var _ admission.Defaulter[*corev1.Pod] = &podDefaulter{}

// Default applies the pod mutations on create.
func (d *podDefaulter) Default(ctx context.Context, pod *corev1.Pod) error {
	if op := operation(ctx); op != "" && op != "CREATE" {
		return nil
	}
	if d.opts.RewriteNodeName && pod.Spec.NodeName != "" {
		if claim := d.waitingClaim(ctx, pod); claim != "" {
			node := pod.Spec.NodeName
			requireNodeName(pod, node)
			record(ruleNodeNameRewrite, decisionMutated)
			warn(ctx, fmt.Sprintf("spec.nodeName %q replaced by a required node affinity on metadata.name: claim %q waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers", node, claim))
		}
	}
	if d.opts.SchedulerName != "" && topology.HasClaims(pod) && pod.Labels[LabelSchedulerOptOut] != "true" &&
		(pod.Spec.SchedulerName == "" || pod.Spec.SchedulerName == defaultScheduler) {
		pod.Spec.SchedulerName = d.opts.SchedulerName
		record(ruleSchedulerName, decisionMutated)
		warn(ctx, fmt.Sprintf("spec.schedulerName set to %q, the scheduler that places pods by their volumes; label the pod %s=true to keep the default scheduler",
			d.opts.SchedulerName, LabelSchedulerOptOut))
	}
	if d.opts.ExtenderResource && topology.HasClaims(pod) && len(pod.Spec.Containers) > 0 && !requestsStorageResource(pod) {
		c := &pod.Spec.Containers[0]
		one := resource.MustParse("1")
		if c.Resources.Requests == nil {
			c.Resources.Requests = corev1.ResourceList{}
		}
		if c.Resources.Limits == nil {
			c.Resources.Limits = corev1.ResourceList{}
		}
		c.Resources.Requests[StorageResource] = one
		c.Resources.Limits[StorageResource] = one
		record(ruleExtenderResource, decisionMutated)
	}
	return nil
}

func requestsStorageResource(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.Containers {
		if _, ok := c.Resources.Requests[StorageResource]; ok {
			return true
		}
	}
	return false
}

// requireNodeName moves a pod from spec.nodeName to a required node
// affinity on metadata.name, ANDed into every existing required term.
func requireNodeName(pod *corev1.Pod, node string) {
	req := corev1.NodeSelectorRequirement{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}
	if pod.Spec.Affinity == nil {
		pod.Spec.Affinity = &corev1.Affinity{}
	}
	if pod.Spec.Affinity.NodeAffinity == nil {
		pod.Spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := pod.Spec.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchFields = append(terms[i].MatchFields, req)
	}
	pod.Spec.NodeName = ""
}

// waitingClaim returns a claim of the pod that is unbound and of a
// WaitForFirstConsumer class, so that it is provisioned only once a
// scheduler selects a node for it; "" when there is none.
func (d *podDefaulter) waitingClaim(ctx context.Context, pod *corev1.Pod) string {
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		switch {
		case vol.PersistentVolumeClaim != nil:
			pvc := d.claim(ctx, pod.Namespace, vol.PersistentVolumeClaim.ClaimName)
			if pvc == nil || pvc.Spec.VolumeName != "" || pvc.Annotations[topology.AnnSelectedNode] == pod.Spec.NodeName {
				continue
			}
			if d.waitsForConsumer(volume.GetPersistentVolumeClaimClass(pvc)) {
				return pvc.Name
			}
		case vol.Ephemeral != nil && vol.Ephemeral.VolumeClaimTemplate != nil:
			if d.waitsForConsumer(d.ephemeralClass(pod.Namespace, vol.Ephemeral.VolumeClaimTemplate)) {
				return ephemeral.VolumeClaimName(pod, vol)
			}
		}
	}
	return ""
}

// claim reads a claim from the cache, or live when the cache does not have
// it yet (a claim created just before its pod).
func (d *podDefaulter) claim(ctx context.Context, namespace, name string) *corev1.PersistentVolumeClaim {
	if pvc, ok := d.cluster.PersistentVolumeClaim(namespace, name); ok {
		return pvc
	}
	if d.client == nil {
		return nil
	}
	pvc, err := d.client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return pvc
}

func (d *podDefaulter) waitsForConsumer(className string) bool {
	if className == "" {
		return false
	}
	class, ok := d.cluster.StorageClass(className)
	return ok && topology.DelaysBinding(class)
}

// ephemeralClass returns the class the claim of a generic ephemeral volume
// will have: the template's, else the default the PVC webhook will give it
// ("" when it will have none, or be denied).
func (d *podDefaulter) ephemeralClass(namespace string, template *corev1.PersistentVolumeClaimTemplate) string {
	if class := template.Spec.StorageClassName; class != nil {
		return *class
	}
	if class := template.Annotations[annBetaStorageClass]; class != "" {
		return class
	}
	if def := d.defaults.forNamespace(namespace); def.denial == "" {
		return def.name
	}
	return ""
}
