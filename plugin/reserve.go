package plugin

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
)

// Reserve holds what the pod takes on the node from now until its binding
// shows in the informers: the capacity its claims to provision need and its
// single-node claims (topology.Holds, as the extender holds them), and its
// attach slots and ReadWriteOnce use on the node (store.AssumePod). The
// next pod scheduled sees them taken.
func (pl *Volplace) Reserve(ctx context.Context, cs fwk.CycleState, pod *corev1.Pod, nodeName string) *fwk.Status {
	s, err := readState(cs)
	if err != nil {
		return fwk.AsStatus(err)
	}
	if s == nil || !s.pod.HasClaims() {
		return nil
	}
	pl.holds.Hold(s.pod)
	pl.store.AssumePod(pod, nodeName)
	klog.FromContext(ctx).V(5).Info("Reserved the pod's volumes", "pod", klog.KObj(pod), "node", klog.KRef("", nodeName))
	return nil
}

// Unreserve gives back what Reserve held: the pod will not be bound there.
// It may run without Reserve, and more than once.
func (pl *Volplace) Unreserve(ctx context.Context, cs fwk.CycleState, pod *corev1.Pod, nodeName string) {
	if s, err := readState(cs); err == nil && s != nil {
		pl.holds.Release(s.pod)
	}
	pl.store.ForgetPod(pod)
	klog.FromContext(ctx).V(5).Info("Released the pod's volumes", "pod", klog.KObj(pod), "node", klog.KRef("", nodeName))
}
