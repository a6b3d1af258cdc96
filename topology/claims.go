package topology

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/component-helpers/storage/volume"
)

const (
	annBindCompleted = "pv.kubernetes.io/bind-completed"
	// AnnSelectedNode is set by kube-scheduler on a WaitForFirstConsumer
	// claim to the node the provisioner must provision for.
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// notSupportedProvisioner marks classes of statically provisioned PVs.
	notSupportedProvisioner = "kubernetes.io/no-provisioner"
)

// ClaimName returns the name of the claim a pod volume uses, or "" for
// volumes without a claim.
func ClaimName(pod *corev1.Pod, vol *corev1.Volume) string {
	switch {
	case vol.PersistentVolumeClaim != nil:
		return vol.PersistentVolumeClaim.ClaimName
	case vol.Ephemeral != nil:
		return ephemeral.VolumeClaimName(pod, vol)
	}
	return ""
}

// UsesClaim reports whether the pod references the claim, directly or as a
// generic ephemeral volume.
func UsesClaim(pod *corev1.Pod, claim string) bool {
	for i := range pod.Spec.Volumes {
		if ClaimName(pod, &pod.Spec.Volumes[i]) == claim {
			return claim != ""
		}
	}
	return false
}

// HasClaims reports whether the pod uses a PersistentVolumeClaim, directly or
// through a generic ephemeral volume, or an inline volume of an in-tree
// plugin that CSI migration attaches through a CSI driver. Other pods fit
// every node.
func HasClaims(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool {
		return v.PersistentVolumeClaim != nil || v.Ephemeral != nil || translator.IsInlineMigratable(&v)
	})
}

// isBound reports whether the claim is bound to a PV. A claim with
// spec.volumeName set is bound once the PV controller has completed the bind
// (the annotation, or the Bound phase in objects written by hand).
func isBound(pvc *corev1.PersistentVolumeClaim) bool {
	if pvc.Spec.VolumeName == "" {
		return false
	}
	return metav1.HasAnnotation(pvc.ObjectMeta, annBindCompleted) || pvc.Status.Phase == corev1.ClaimBound
}

// terminal reports whether a pod in this phase has finished and no longer
// holds volumes.
func terminal(phase corev1.PodPhase) bool {
	return phase == corev1.PodSucceeded || phase == corev1.PodFailed
}

// boundClaim is a claim bound to a PV, with what the per-node rules need.
type boundClaim struct {
	name string
	pvc  *corev1.PersistentVolumeClaim
	pv   *corev1.PersistentVolume // nil when the PV does not exist

	affinity *nodeSelector // nil without required node affinity
	zones    []zoneLabel
	driver   string // CSI driver, "" for other volumes
	// inUseOn holds the nodes where the volume is attached or used by
	// another pod; exclusive is true when it may be attached to one node only.
	inUseOn   map[string]bool
	exclusive bool
}

// PodState is the node-independent part of a pod's evaluation, computed once
// per scheduling attempt by Evaluator.Prepare.
type PodState struct {
	Pod *corev1.Pod
	// PodReasons hold for every node. When one is unresolvable, no node is
	// evaluated further.
	PodReasons Reasons

	bound   []*boundClaim
	delayed []*delayedClaim // sorted by request, smallest first
	// newVolumes are the attachable volumes the pod adds: unique
	// "driver/handle" keys by driver, and newDrivers those drivers, sorted.
	newVolumes map[string][]string
	newDrivers []string
	// present counts, by node and driver, the new volumes a node already
	// holds, which do not count again against its attach limit;
	// presentByPods those that pods on the node use, all that
	// kube-scheduler's NodeVolumeLimits leaves out (Options.
	// InTreeVolumeLimits).
	present, presentByPods map[nodeDriver]int
	// rejection, when not nil, tells the nodes that fail for certain from
	// their index (Evaluator.rejectedBy).
	rejection *rejection
	// now is when the pod was prepared; held are the bytes, by class, that
	// pods being scheduled hold in memory (Holds).
	now  time.Time
	held map[string]int64
	// claimless is true when the pod uses no claim (HasClaims): it fits
	// every node with score 0, and nothing else was prepared.
	claimless bool
}

// HeldByOthers reports whether, when the pod was prepared, pods being
// scheduled held capacity its claims to provision compete for.
func (s *PodState) HeldByOthers() bool {
	return slices.ContainsFunc(s.delayed, func(d *delayedClaim) bool { return d.capacities != nil && s.held[d.class.Name] > 0 })
}

// capacityIndex returns the capacity index the pod's claims to provision
// in the class read, or nil when it provisions none there.
func (s *PodState) capacityIndex(class string) *CapacityIndex {
	for _, d := range s.delayed {
		if d.capacities != nil && d.class.Name == class {
			return d.capacities
		}
	}
	return nil
}

// ownsClaim reports whether a claim ("namespace/name") is one of the pod's
// claims to provision, which the pod counts itself.
func (s *PodState) ownsClaim(claim string) bool {
	ns, name, _ := strings.Cut(claim, "/")
	if ns != s.Pod.Namespace {
		return false
	}
	return slices.ContainsFunc(s.delayed, func(d *delayedClaim) bool { return d.name == name })
}

// exclusiveClaims returns, as "namespace/name", the pod's bound claims
// whose volume may be on one node only (ReadWriteOnce or ReadWriteOncePod,
// attachable) and that no scheduled pod or attachment holds yet: the claims
// two pods scheduled in the same instant could place on two nodes.
func (s *PodState) exclusiveClaims() []string {
	var out []string
	for _, b := range s.bound {
		if b.pv != nil && b.exclusive && len(b.inUseOn) == 0 {
			out = append(out, b.pvc.Namespace+"/"+b.pvc.Name)
		}
	}
	return out
}

// HasClaims reports whether the pod uses any claim; without claims every node
// fits and scores zero.
func (s *PodState) HasClaims() bool {
	return len(s.bound)+len(s.delayed)+len(s.newVolumes) > 0 || len(s.PodReasons) > 0
}

// Prepare resolves the pod's claims once. Pod-level failures (a missing or
// deleted claim, an unbound Immediate claim, a ReadWriteOncePod conflict) are
// recorded in PodReasons. A pod without claims (HasClaims) has nothing to
// resolve.
func (e *Evaluator) Prepare(pod *corev1.Pod) *PodState {
	if !HasClaims(pod) {
		return &PodState{Pod: pod, claimless: true}
	}
	s := &PodState{Pod: pod, newVolumes: map[string][]string{}, now: e.clock()}
	immediate := false
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		name := ClaimName(pod, vol)
		if name == "" {
			continue
		}
		pvc, ok := e.cluster.PersistentVolumeClaim(pod.Namespace, name)
		switch {
		case !ok && vol.Ephemeral != nil:
			s.PodReasons.add(CodeEphemeralClaimPending, ephemeralClaimPending(name), "", "", true)
			continue
		case !ok:
			s.PodReasons.add(CodeClaimNotFound, claimNotFound(name), "", "", true)
			continue
		case pvc.DeletionTimestamp != nil:
			s.PodReasons.add(CodeClaimBeingDeleted, claimBeingDeleted(name), "", "", true)
			continue
		case pvc.Status.Phase == corev1.ClaimLost:
			s.PodReasons.add(CodeClaimLost, claimLost(name, pvc.Spec.VolumeName), "", "", true)
			continue
		}
		if vol.Ephemeral != nil {
			if err := ephemeral.VolumeIsForPod(pod, pvc); err != nil {
				s.PodReasons.add(CodeEphemeralClaimNotOwned, err.Error(), "", "", true)
				continue
			}
		}
		rwopConflict := e.checkReadWriteOncePod(s, pvc)
		if isBound(pvc) {
			b := e.prepareBound(pod, pvc)
			// The ReadWriteOncePod conflict already explains why the
			// volume's other user blocks the pod.
			b.exclusive = b.exclusive && !rwopConflict
			s.bound = append(s.bound, b)
			continue
		}
		class, delayed := e.delayedBindingClass(pvc)
		if className := volume.GetPersistentVolumeClaimClass(pvc); class == nil && className != "" {
			// kube-scheduler takes such a claim for an Immediate one,
			// waiting for a bind that no class will make.
			s.PodReasons.add(CodeClassNotFound, classNotFound(name, className), "", "", true)
			continue
		}
		if !delayed || pvc.Spec.VolumeName != "" {
			immediate = true
			continue
		}
		s.delayed = append(s.delayed, e.prepareDelayed(pvc, class))
	}
	if immediate {
		s.PodReasons.add(CodeUnboundImmediate, ErrReasonUnboundImmediate, "", "", true)
	}
	slices.SortStableFunc(s.delayed, func(a, b *delayedClaim) int { return compareInt64(a.request, b.request) })
	e.prepareAttachLimits(s)
	e.prepareRejection(s)
	if e.holds != nil {
		s.held = e.holds.heldCapacity(s, e.cluster)
	}
	return s
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Evaluator) prepareBound(pod *corev1.Pod, pvc *corev1.PersistentVolumeClaim) *boundClaim {
	b := &boundClaim{name: pvc.Name, pvc: pvc}
	pv, ok := e.cluster.PersistentVolume(pvc.Spec.VolumeName)
	if !ok {
		return b
	}
	b.pv = pv
	b.affinity = e.affinities.get(pv)
	b.zones = volumeZones(pv)
	if pv.Spec.CSI != nil {
		b.driver = pv.Spec.CSI.Driver
	}
	b.inUseOn, b.exclusive = e.volumeUsage(pod, pvc, pv)
	return b
}

// checkBound applies the rules for claims bound to a PV, claim by claim:
// the PV exists, its node affinity (nodeaffinity.go) or else its zone labels
// (volumezone.go) admit the node, and a ReadWriteOnce volume is not in use
// on another node (restrictions.go).
func (e *Evaluator) checkBound(s *PodState, n *nodeState) {
	for _, b := range s.bound {
		if b.pv == nil {
			n.fail(CodePVNotExist, ErrReasonPVNotExist, b.pvc.Spec.VolumeName, true, nil)
			continue
		}
		// Like kube-scheduler, which stops at VolumeBinding's node affinity
		// failure before VolumeZone runs, report one placement failure per
		// PV.
		if b.affinity != nil {
			checkNodeAffinity(b, n)
		} else {
			checkVolumeZone(b, n)
		}
		e.checkReadWriteOnce(b, n)
		if b.driver != "" {
			n.addDriver(b.driver)
		}
	}
}
