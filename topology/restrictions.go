package topology

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// samePod reports whether two pod objects are the same pod.
func samePod(a, b *corev1.Pod) bool {
	if a.UID != "" && b.UID != "" {
		return a.UID == b.UID
	}
	return a.Namespace == b.Namespace && a.Name == b.Name
}

// holders returns the other scheduled, non-terminated pods that use a claim.
func (e *Evaluator) holders(pod *corev1.Pod, pvc *corev1.PersistentVolumeClaim) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range e.cluster.PodsByClaim(pvc.Namespace, pvc.Name) {
		if p.Spec.NodeName != "" && !terminal(p.Status.Phase) && !samePod(p, pod) {
			out = append(out, p)
		}
	}
	return out
}

// checkReadWriteOncePod fails the pod everywhere when it uses a
// ReadWriteOncePod claim that another pod already uses, and reports whether
// it did. Preemption can help by evicting that pod, so the reason is
// resolvable.
func (e *Evaluator) checkReadWriteOncePod(s *PodState, pvc *corev1.PersistentVolumeClaim) bool {
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteOncePod) {
		return false
	}
	holders := e.holders(s.Pod, pvc)
	if len(holders) == 0 {
		return false
	}
	names := make([]string, len(holders))
	for i, p := range holders {
		names[i] = types.NamespacedName{Namespace: p.Namespace, Name: p.Name}.String()
	}
	s.PodReasons.add(CodeReadWriteOncePodConflict, ErrReasonReadWriteOncePodConflict, pvc.Name,
		fmt.Sprintf("claim %s is used by %s", pvc.Name, strings.Join(names, ", ")), false)
	return true
}

// exclusiveAccess reports whether a PV may be attached to a single node at a
// time: it offers neither ReadOnlyMany nor ReadWriteMany.
func exclusiveAccess(pv *corev1.PersistentVolume) bool {
	if len(pv.Spec.AccessModes) == 0 {
		return false
	}
	return !slices.ContainsFunc(pv.Spec.AccessModes, func(m corev1.PersistentVolumeAccessMode) bool {
		return m == corev1.ReadOnlyMany || m == corev1.ReadWriteMany
	})
}

// attachable reports whether a volume is attached to a node before use, so
// that a single-node access mode is enforced across nodes (a Multi-Attach
// error). CSI volumes are, unless their CSIDriver says attachRequired: false.
func (e *Evaluator) attachable(pv *corev1.PersistentVolume) bool {
	src := pv.Spec.PersistentVolumeSource
	switch {
	case src.CSI != nil:
		driver, ok := e.cluster.CSIDriver(src.CSI.Driver)
		return !ok || driver.Spec.AttachRequired == nil || *driver.Spec.AttachRequired
	case src.AWSElasticBlockStore != nil, src.GCEPersistentDisk != nil, src.AzureDisk != nil,
		src.Cinder != nil, src.VsphereVolume != nil, src.RBD != nil, src.ISCSI != nil, src.FC != nil,
		src.PortworxVolume != nil:
		return true
	}
	return false
}

// volumeUsage returns the nodes where a bound volume is attached (a
// VolumeAttachment not being deleted) or used by another non-terminated pod,
// ignoring nodes that no longer exist, and whether the volume may be attached
// to one node only: an attachable volume without a many-node access mode.
func (e *Evaluator) volumeUsage(pod *corev1.Pod, pvc *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) (map[string]bool, bool) {
	var nodes map[string]bool
	mark := func(node string) {
		if _, ok := e.cluster.Node(node); !ok {
			return
		}
		if nodes == nil {
			nodes = map[string]bool{}
		}
		nodes[node] = true
	}
	attachments := e.cluster.AttachmentsByPersistentVolume(pv.Name)
	for _, va := range attachments {
		if va.DeletionTimestamp == nil {
			mark(va.Spec.NodeName)
		}
	}
	for _, p := range e.holders(pod, pvc) {
		mark(p.Spec.NodeName)
	}
	return nodes, exclusiveAccess(pv) && (len(attachments) > 0 || e.attachable(pv))
}

// checkReadWriteOnce rejects the node when a bound volume that may be on
// one node only (ReadWriteOnce, attachable) is attached to or used on
// another node: kube-scheduler would place the pod, and kubelet then fail
// with a Multi-Attach error (Options.ReadWriteOnceGuard).
func (e *Evaluator) checkReadWriteOnce(b *boundClaim, n *nodeState) {
	if !e.opts.ReadWriteOnceGuard || !b.exclusive || len(b.inUseOn) == 0 || b.inUseOn[n.node.name] {
		return
	}
	n.fail(CodeReadWriteOnceConflict, ErrReasonReadWriteOnceConflict, b.name, true, func() string {
		return fmt.Sprintf("claim %s: ReadWriteOnce volume %s is in use on node(s) %s", b.name, b.pv.Name, strings.Join(sets.List(sets.KeySet(b.inUseOn)), ", "))
	})
}

// localityScore scores the node by how many of the pod's bound volumes are
// already attached to or used on it. It applies when some bound volume is
// in use somewhere: else every node would score the same zero.
func (e *Evaluator) localityScore(s *PodState, n *nodeState) (ScoreComponent, bool) {
	if !slices.ContainsFunc(s.bound, func(b *boundClaim) bool { return len(b.inUseOn) > 0 }) {
		return ScoreComponent{}, false
	}
	local := 0
	for _, b := range s.bound {
		if b.inUseOn[n.node.name] {
			local++
		}
	}
	c := ScoreComponent{Name: ComponentLocality, Score: int64(MaxScore * local / len(s.bound))}
	if e.details {
		c.Detail = fmt.Sprintf("%d/%d bound volume(s) already on the node", local, len(s.bound))
	}
	return c, true
}
