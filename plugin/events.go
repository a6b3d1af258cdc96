package plugin

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
)

// EventsToRegister returns the events after which a pod Volplace rejected
// may fit, each with a hint that tells whether it may for this pod.
func (pl *Volplace) EventsToRegister(context.Context) ([]fwk.ClusterEventWithHint, error) {
	return []fwk.ClusterEventWithHint{
		// A node's CSI driver registered, or its attach limit raised.
		{Event: fwk.ClusterEvent{Resource: fwk.CSINode, ActionType: fwk.Add | fwk.Update}, QueueingHintFn: csiNodeChanged},
		// A storage segment appeared or grew.
		{Event: fwk.ClusterEvent{Resource: fwk.CSIStorageCapacity, ActionType: fwk.Add | fwk.Update}, QueueingHintFn: capacityChanged},
		// A volume detached: an attach slot, or a ReadWriteOnce volume,
		// is free.
		{Event: fwk.ClusterEvent{Resource: fwk.VolumeAttachment, ActionType: fwk.Delete}},
		// A volume of one of the pod's claims appeared or changed, or one
		// a claim may bind to became available.
		{Event: fwk.ClusterEvent{Resource: fwk.PersistentVolume, ActionType: fwk.Add | fwk.Update}, QueueingHintFn: volumeChanged},
		// One of the pod's claims appeared, was bound or assigned a node.
		{Event: fwk.ClusterEvent{Resource: fwk.PersistentVolumeClaim, ActionType: fwk.Add | fwk.Update}, QueueingHintFn: claimChanged},
		// The class of a claim appeared.
		{Event: fwk.ClusterEvent{Resource: fwk.StorageClass, ActionType: fwk.Add}},
		// A node that a volume's topology or node affinity admits.
		{Event: fwk.ClusterEvent{Resource: fwk.Node, ActionType: fwk.Add | fwk.UpdateNodeLabel | fwk.UpdateNodeAllocatable}},
		// A pod sharing one of the pod's claims was bound (the claim it
		// held in flight is placed) or a pod with volumes went (its
		// attach slots and ReadWriteOnce volumes are free).
		{Event: fwk.ClusterEvent{Resource: fwk.Pod, ActionType: fwk.Add | fwk.Delete}, QueueingHintFn: podChanged},
	}, nil
}

// as returns an event's old and new objects as T; old is nil for an
// addition, new for a deletion.
func as[T any](oldObj, newObj any) (oldT, newT T, err error) {
	if oldObj != nil {
		var ok bool
		if oldT, ok = oldObj.(T); !ok {
			return oldT, newT, fmt.Errorf("volplace: event with a %T, want %T", oldObj, oldT)
		}
	}
	if newObj != nil {
		var ok bool
		if newT, ok = newObj.(T); !ok {
			return oldT, newT, fmt.Errorf("volplace: event with a %T, want %T", newObj, newT)
		}
	}
	return oldT, newT, nil
}

// csiNodeChanged queues the pod for a new CSINode, or one that registers a
// driver or raises a driver's attach limit.
func csiNodeChanged(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (fwk.QueueingHint, error) {
	old, cur, err := as[*storagev1.CSINode](oldObj, newObj)
	if err != nil {
		return fwk.Queue, err
	}
	if old == nil || cur == nil {
		return fwk.Queue, nil
	}
	for _, d := range cur.Spec.Drivers {
		i := slices.IndexFunc(old.Spec.Drivers, func(o storagev1.CSINodeDriver) bool { return o.Name == d.Name })
		if i < 0 || limit(d) > limit(old.Spec.Drivers[i]) {
			logger.V(5).Info("CSINode registered a driver or raised its limit", "pod", klog.KObj(pod), "csiNode", klog.KObj(cur), "driver", d.Name)
			return fwk.Queue, nil
		}
	}
	return fwk.QueueSkip, nil
}

// limit returns a CSINode driver's attach limit, -1 when it has none.
func limit(d storagev1.CSINodeDriver) int64 {
	if d.Allocatable == nil || d.Allocatable.Count == nil {
		return -1
	}
	return int64(*d.Allocatable.Count)
}

// capacityChanged queues the pod for a new CSIStorageCapacity, or one
// whose capacity or largest volume grew.
func capacityChanged(_ klog.Logger, _ *corev1.Pod, oldObj, newObj any) (fwk.QueueingHint, error) {
	old, cur, err := as[*storagev1.CSIStorageCapacity](oldObj, newObj)
	if err != nil {
		return fwk.Queue, err
	}
	if old == nil || cur == nil {
		return fwk.Queue, nil
	}
	if quantityGrew(old.Capacity, cur.Capacity) || quantityGrew(old.MaximumVolumeSize, cur.MaximumVolumeSize) {
		return fwk.Queue, nil
	}
	return fwk.QueueSkip, nil
}

// volumeChanged queues the pod for a PV that one of its claims is bound or
// pre-bound to (its node affinity and zone are the pod's), or that no claim
// holds (a static volume an unbound claim may bind to). Other PVs only take
// capacity: they cannot make the pod fit.
func volumeChanged(_ klog.Logger, pod *corev1.Pod, oldObj, newObj any) (fwk.QueueingHint, error) {
	_, cur, err := as[*corev1.PersistentVolume](oldObj, newObj)
	if err != nil {
		return fwk.Queue, err
	}
	if cur == nil {
		return fwk.QueueSkip, nil
	}
	ref := cur.Spec.ClaimRef
	if ref == nil || (ref.Namespace == pod.Namespace && topology.UsesClaim(pod, ref.Name)) {
		return fwk.Queue, nil
	}
	return fwk.QueueSkip, nil
}

// claimChanged queues the pod for a change of one of its claims.
func claimChanged(_ klog.Logger, pod *corev1.Pod, oldObj, newObj any) (fwk.QueueingHint, error) {
	_, cur, err := as[*corev1.PersistentVolumeClaim](oldObj, newObj)
	if err != nil {
		return fwk.Queue, err
	}
	if cur == nil || cur.Namespace != pod.Namespace || !topology.UsesClaim(pod, cur.Name) {
		return fwk.QueueSkip, nil
	}
	return fwk.Queue, nil
}

// podChanged queues the pod for a bound pod that shares one of its claims,
// and for a deleted pod that had claims.
func podChanged(_ klog.Logger, pod *corev1.Pod, oldObj, newObj any) (fwk.QueueingHint, error) {
	old, cur, err := as[*corev1.Pod](oldObj, newObj)
	if err != nil {
		return fwk.Queue, err
	}
	if cur == nil { // deleted
		if old != nil && topology.HasClaims(old) {
			return fwk.Queue, nil
		}
		return fwk.QueueSkip, nil
	}
	if cur.UID == pod.UID || cur.Namespace != pod.Namespace || cur.Spec.NodeName == "" {
		return fwk.QueueSkip, nil
	}
	for i := range cur.Spec.Volumes {
		if c := topology.ClaimName(cur, &cur.Spec.Volumes[i]); c != "" && topology.UsesClaim(pod, c) {
			return fwk.Queue, nil
		}
	}
	return fwk.QueueSkip, nil
}

// quantityGrew reports whether a reported quantity grew, or appeared or
// went (a CSIStorageCapacity without one does not limit).
func quantityGrew(old, cur *resource.Quantity) bool {
	switch {
	case old == nil || cur == nil:
		return old != cur
	default:
		return cur.Cmp(*old) > 0
	}
}
