package topology

import (
	"fmt"
	"slices"

	storagev1 "k8s.io/api/storage/v1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/storage/volume"
	"k8s.io/utils/ptr"
)

// staticCandidates returns the PVs of the class that could bind the claim on
// some node, smallest first, applying every test of kube-scheduler's
// FindMatchingVolume except node affinity. A PV pre-bound to the claim is the
// only candidate.
func (e *Evaluator) staticCandidates(pvc *corev1.PersistentVolumeClaim, class string) []*candidatePV {
	var selector labels.Selector
	if pvc.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(pvc.Spec.Selector)
		if err != nil {
			return nil // an invalid selector matches no PV
		}
		selector = sel
	}
	requested := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	var out []*candidatePV
	for _, pv := range e.cluster.UnboundPersistentVolumes(class) {
		if pv.Spec.ClaimRef != nil && !volume.IsVolumeBoundToClaim(pv, pvc) {
			continue
		}
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		if capacity.Cmp(requested) < 0 ||
			volume.CheckVolumeModeMismatches(&pvc.Spec, &pv.Spec) ||
			ptr.Deref(pvc.Spec.VolumeAttributesClassName, "") != ptr.Deref(pv.Spec.VolumeAttributesClassName, "") ||
			pv.DeletionTimestamp != nil {
			continue
		}
		if volume.IsVolumeBoundToClaim(pv, pvc) {
			return []*candidatePV{{pv: pv, affinity: e.affinities.get(pv)}}
		}
		if pv.Status.Phase != corev1.VolumeAvailable ||
			(selector != nil && !selector.Matches(labels.Set(pv.Labels))) ||
			!volume.CheckAccessModes(pvc, pv) {
			continue
		}
		out = append(out, &candidatePV{pv: pv, affinity: e.affinities.get(pv)})
	}
	slices.SortStableFunc(out, func(a, b *candidatePV) int {
		qa, qb := a.pv.Spec.Capacity[corev1.ResourceStorage], b.pv.Spec.Capacity[corev1.ResourceStorage]
		if c := qa.Cmp(qb); c != 0 {
			return c
		}
		return compareString(a.pv.Name, b.pv.Name)
	})
	return out
}

func compareString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matchStatic returns the smallest candidate PV whose node affinity admits
// the node and that no other claim of the pod took.
func matchStatic(d *delayedClaim, node *nodeView, taken []string) *corev1.PersistentVolume {
	for _, c := range d.candidates {
		if slices.Contains(taken, c.pv.Name) {
			continue
		}
		if c.affinity != nil && !c.affinity.Match(node) {
			continue
		}
		return c.pv
	}
	return nil
}

// matchTopology reports whether node labels satisfy a class's
// allowedTopologies: no terms, or one term whose every expression matches.
func matchTopology(terms []corev1.TopologySelectorTerm, node *nodeView) bool {
	if len(terms) == 0 {
		return true
	}
	for _, term := range terms {
		if slices.ContainsFunc(term.MatchLabelExpressions, func(req corev1.TopologySelectorLabelRequirement) bool {
			v, ok := node.Lookup(req.Key)
			return !ok || !slices.Contains(req.Values, v)
		}) {
			continue
		}
		return true
	}
	return false
}

// checkDelayed applies the rules for unbound WaitForFirstConsumer claims, in
// kube-scheduler's order: a selected node must be this node; else the
// smallest matching static PV binds; else the class must be able to
// provision on the node.
func (e *Evaluator) checkDelayed(s *PodState, n *nodeState) {
	var taken []string
	for _, d := range s.delayed {
		if d.selectedNode != "" {
			if d.selectedNode != n.node.name {
				n.fail(CodeBindConflict, ErrReasonBindConflict, d.name, true, func() string {
					detail := fmt.Sprintf("claim %s: provisioning was already started for node %s", d.name, d.selectedNode)
					if _, ok := e.cluster.Node(d.selectedNode); !ok {
						detail += ", which no longer exists: delete the claim's " + AnnSelectedNode + " annotation to provision elsewhere"
					}
					return detail
				})
				continue
			}
		} else if pv := matchStatic(d, n.node, taken); pv != nil {
			taken = append(taken, pv.Name)
			if pv.Spec.CSI != nil {
				n.addDriver(pv.Spec.CSI.Driver)
			}
			continue
		}
		e.checkProvisioning(s, d, n)
	}
}

// checkProvisioning checks that the claim's class can provision a volume
// reachable from the node.
func (e *Evaluator) checkProvisioning(s *PodState, d *delayedClaim, n *nodeState) {
	class := d.class
	switch {
	case class.Provisioner == "" || class.Provisioner == notSupportedProvisioner:
		n.fail(CodeBindConflict, ErrReasonBindConflict, d.name, true, func() string {
			return fmt.Sprintf("claim %s: no available PersistentVolume matches and class %s does not provision", d.name, class.Name)
		})
		return
	case !matchTopology(class.AllowedTopologies, n.node):
		n.fail(CodeBindConflict, ErrReasonBindConflict, d.name, true, func() string {
			detail := fmt.Sprintf("claim %s: the node is outside the allowedTopologies of class %s", d.name, class.Name)
			// kubelet labels a node with a driver's topology only when the
			// driver registers: without it, the node lacks the labels a
			// class's allowedTopologies on the driver's keys asks for.
			if _, ok := n.node.driver(class.Provisioner); !ok {
				detail += fmt.Sprintf("; driver %s is not registered on the node (not in its CSINode)", class.Provisioner)
			}
			return detail
		})
		return
	}
	if missing := missingTopologyKey(n, class.Provisioner); missing != "" {
		n.fail(CodeMissingTopologyLabels, ErrReasonMissingTopologyLabels, class.Provisioner, true, func() string {
			return fmt.Sprintf("claim %s: node lacks label %s, a topology key driver %s declares in its CSINode", d.name, missing, class.Provisioner)
		})
		return
	}
	if d.driver != "" {
		n.addDriver(d.driver)
	}
	p := provisioned{claim: d}
	if d.capacities != nil {
		seg, free, ok := e.chooseSegment(s, d, n)
		if !ok {
			return
		}
		p.segment, p.free = seg, free
	}
	n.provisioned = append(n.provisioned, p)
}

// DelaysBinding reports whether claims of the class wait for their first
// consumer (volumeBindingMode WaitForFirstConsumer): they bind or are
// provisioned once a pod using them is given a node. A class without a
// mode binds immediately, the API server's default.
func DelaysBinding(class *storagev1.StorageClass) bool {
	return class != nil && class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
}

// delayedClaim is an unbound claim of a WaitForFirstConsumer class: it binds
// or is provisioned once the pod has a node.
type delayedClaim struct {
	name         string
	pvc          *corev1.PersistentVolumeClaim
	class        *storagev1.StorageClass
	request      int64 // bytes requested, 0 when none
	selectedNode string
	// candidates are the static PVs that may bind the claim on some node,
	// smallest first, or only the PV pre-bound to the claim.
	candidates []*candidatePV
	// driver is the class's provisioner when it names a CSIDriver object.
	driver     string
	capacities *CapacityIndex // only when the driver tracks capacity
}

type candidatePV struct {
	pv       *corev1.PersistentVolume
	affinity *nodeSelector
}

// delayedBindingClass returns the claim's class and whether it delays binding
// until a pod is scheduled. A claim without class or with a missing class
// binds immediately, as in kube-scheduler; a class without a binding mode
// gets the API server's default, Immediate.
func (e *Evaluator) delayedBindingClass(pvc *corev1.PersistentVolumeClaim) (*storagev1.StorageClass, bool) {
	name := volume.GetPersistentVolumeClaimClass(pvc)
	if name == "" {
		return nil, false
	}
	class, ok := e.cluster.StorageClass(name)
	if !ok {
		return nil, false
	}
	return class, DelaysBinding(class)
}

func (e *Evaluator) prepareDelayed(pvc *corev1.PersistentVolumeClaim, class *storagev1.StorageClass) *delayedClaim {
	d := &delayedClaim{name: pvc.Name, pvc: pvc, class: class, selectedNode: pvc.Annotations[AnnSelectedNode]}
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		d.request = q.Value()
	}
	d.candidates = e.staticCandidates(pvc, class.Name)
	if driver, ok := e.cluster.CSIDriver(class.Provisioner); ok {
		d.driver = driver.Name
		if driver.Spec.StorageCapacity != nil && *driver.Spec.StorageCapacity && d.request > 0 {
			d.capacities = e.cluster.CapacityIndex(class.Name)
		}
	}
	return d
}
