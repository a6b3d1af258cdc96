package topology

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Assume returns the objects a placement of the pod on the node changes, as
// they are once kube-scheduler has bound it and before any provisioner or
// kubelet acts: the pod with its node; each unbound WaitForFirstConsumer
// claim either bound to the static PV the rules matched on the node (and
// that PV bound to it) or annotated with the selected node, which makes it
// count against the node's capacity. The objects are copies; a planner
// puts them in place of the originals to place the next pod. The pod must
// fit the node.
func (e *Evaluator) Assume(s *PodState, node string) ([]runtime.Object, error) {
	info, ok := e.cluster.NodeInfo([]byte(node))
	if !ok {
		return nil, fmt.Errorf("node %s not found", node)
	}
	pod := s.Pod.DeepCopy()
	pod.Spec.NodeName = node
	out := []runtime.Object{pod}
	var taken []string
	for _, d := range s.delayed {
		if d.selectedNode != "" {
			continue // already assigned, to this node since the pod fits
		}
		pvc := d.pvc.DeepCopy()
		if pvc.Annotations == nil {
			pvc.Annotations = map[string]string{}
		}
		if pv := matchStatic(d, &info.view, taken); pv != nil {
			taken = append(taken, pv.Name)
			pv = pv.DeepCopy()
			pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID}
			pv.Status.Phase = corev1.VolumeBound
			pvc.Spec.VolumeName = pv.Name
			pvc.Annotations[annBindCompleted] = "yes"
			pvc.Status.Phase = corev1.ClaimBound
			out = append(out, pvc, pv)
			continue
		}
		pvc.Annotations[AnnSelectedNode] = node
		out = append(out, pvc)
	}
	return out, nil
}
