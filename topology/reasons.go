package topology

import (
	"fmt"
	"slices"
	"strings"
)

// Reason strings. Where kube-scheduler (v1.36) has the same rule, the string
// is identical so that users, runbooks and alerts recognise it. Per-node
// figures never go into these strings, so that kube-scheduler can total
// identical reasons across nodes in its FailedScheduling event.
const (
	// ErrReasonNodeConflict is VolumeBinding's reason for a bound PV whose
	// node affinity does not match the node.
	ErrReasonNodeConflict = "node(s) didn't match PersistentVolume's node affinity"
	// ErrReasonBindConflict is VolumeBinding's reason when an unbound
	// WaitForFirstConsumer claim can neither bind a static PV nor be
	// provisioned on the node.
	ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind"
	// ErrReasonNotEnoughSpace is VolumeBinding's reason when no
	// CSIStorageCapacity reachable from the node can hold the claim.
	ErrReasonNotEnoughSpace = "node(s) did not have enough free storage"
	// ErrReasonPVNotExist is VolumeBinding's reason for a claim bound to a PV
	// that does not exist.
	ErrReasonPVNotExist = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
	// ErrReasonVolumeZoneConflict is VolumeZone's reason for a bound PV whose
	// zone or region labels exclude the node.
	ErrReasonVolumeZoneConflict = "node(s) had no available volume zone"
	// ErrReasonMaxVolumeCountExceeded is NodeVolumeLimits' reason when the
	// node's CSI attach limit would be exceeded.
	ErrReasonMaxVolumeCountExceeded = "node(s) exceed max volume count"
	// ErrReasonReadWriteOncePodConflict is VolumeRestrictions' reason when a
	// ReadWriteOncePod claim is already used by another pod.
	ErrReasonReadWriteOncePodConflict = "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod"
	// ErrReasonMissingTopologyLabels is volplace's reason when the node lacks a
	// label for a topology key that the CSI driver declares in the node's
	// CSINode, so the provisioner cannot place a volume for it.
	ErrReasonMissingTopologyLabels = "node(s) didn't have the topology labels the CSI driver requires"
	// ErrReasonReadWriteOnceConflict is volplace's reason when a bound
	// ReadWriteOnce volume is attached to, or used by a pod on, another node:
	// starting the pod here would end in a Multi-Attach error.
	ErrReasonReadWriteOnceConflict = "node(s) unavailable due to ReadWriteOnce volume in use on another node"

	// ErrReasonUnboundImmediate is VolumeBinding's pod-level reason when a
	// claim of an Immediate class is not bound yet.
	ErrReasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"

	// ErrReasonNodeUnknown is volplace's reason for a node that
	// kube-scheduler named but the cache does not hold yet (a node added
	// moments ago). Preemption cannot help, but the next attempt will: it
	// is reported as resolvable.
	ErrReasonNodeUnknown = "node(s) were unknown to the volplace extender"
)

// csiDriverNotInstalled is NodeVolumeLimits' reason (behind kube-scheduler's
// VolumeLimitScaling gate) for a node whose CSINode lacks the driver.
func csiDriverNotInstalled(driver string) string {
	return fmt.Sprintf("%s CSI driver is not installed on the node", driver)
}

// Pod-level reasons: they hold for every node.
func claimNotFound(name string) string {
	return fmt.Sprintf("persistentvolumeclaim %q not found", name)
}

func claimBeingDeleted(name string) string {
	return fmt.Sprintf("persistentvolumeclaim %q is being deleted", name)
}

func claimLost(name, pv string) string {
	return fmt.Sprintf("persistentvolumeclaim %q bound to non-existent persistentvolume %q", name, pv)
}

func classNotFound(claim, class string) string {
	return fmt.Sprintf("persistentvolumeclaim %q: storageclass %q not found", claim, class)
}

func ephemeralClaimPending(name string) string {
	return fmt.Sprintf("waiting for ephemeral volume controller to create the persistentvolumeclaim %q", name)
}

// Code names a rule's failure in a stable, low-cardinality form, for metrics
// and machine-readable output.
type Code string

// Failure codes, one per reason.
const (
	CodeClaimNotFound            Code = "ClaimNotFound"
	CodeClaimBeingDeleted        Code = "ClaimBeingDeleted"
	CodeClaimLost                Code = "ClaimLost"
	CodeEphemeralClaimPending    Code = "EphemeralClaimPending"
	CodeEphemeralClaimNotOwned   Code = "EphemeralClaimNotOwned"
	CodeUnboundImmediate         Code = "UnboundImmediateClaim"
	CodeClassNotFound            Code = "StorageClassNotFound"
	CodePVNotExist               Code = "PVNotExist"
	CodeNodeConflict             Code = "NodeAffinityConflict"
	CodeVolumeZoneConflict       Code = "VolumeZoneConflict"
	CodeBindConflict             Code = "BindConflict"
	CodeMissingTopologyLabels    Code = "MissingTopologyLabels"
	CodeNotEnoughSpace           Code = "NotEnoughSpace"
	CodeCSIDriverNotInstalled    Code = "CSIDriverNotInstalled"
	CodeMaxVolumeCountExceeded   Code = "MaxVolumeCountExceeded"
	CodeReadWriteOncePodConflict Code = "ReadWriteOncePodConflict"
	CodeReadWriteOnceConflict    Code = "ReadWriteOnceConflict"
	CodeNodeUnknown              Code = "NodeUnknown"
)

// Reason is one cause for which a pod's volumes do not fit a node.
type Reason struct {
	// Code identifies the rule that failed.
	Code Code
	// Message is the fixed text, identical for every node that fails the
	// same way (for example ErrReasonNodeConflict).
	Message string
	// Subjects name what the failure is about and are the same for every
	// node: claims, PersistentVolumes or drivers. They follow Message in
	// parentheses.
	Subjects []string
	// Detail holds per-node figures (used/limit, requested/available, the
	// label a node lacks). It is shown by simulate and explain and logged at
	// debug level, never sent to kube-scheduler.
	Detail []string
	// Unresolvable is true when preempting pods on the node cannot help.
	Unresolvable bool
}

// String is the reason as kube-scheduler shows it: Message, then Subjects.
func (r Reason) String() string {
	if len(r.Subjects) == 0 {
		return r.Message
	}
	return r.Message + " (" + strings.Join(r.Subjects, ", ") + ")"
}

// Reasons is the list of reasons for one node, in evaluation order, with at
// most one entry per Message.
type Reasons []Reason

// add records a reason, merging subjects and details into an existing entry
// with the same message.
func (rs *Reasons) add(code Code, message, subject, detail string, unresolvable bool) {
	i := slices.IndexFunc(*rs, func(r Reason) bool { return r.Message == message })
	if i < 0 {
		*rs = append(*rs, Reason{Code: code, Message: message, Unresolvable: unresolvable})
		i = len(*rs) - 1
	}
	r := &(*rs)[i]
	if subject != "" && !slices.Contains(r.Subjects, subject) {
		r.Subjects = append(r.Subjects, subject)
	}
	if detail != "" {
		r.Detail = append(r.Detail, detail)
	}
	r.Unresolvable = r.Unresolvable || unresolvable
}

// Unresolvable reports whether any reason is unresolvable.
func (rs Reasons) Unresolvable() bool {
	return slices.ContainsFunc(rs, func(r Reason) bool { return r.Unresolvable })
}

// Primary is the reason the extender reports to kube-scheduler for the
// node: the first unresolvable reason if any, else the first. Like a
// kube-scheduler plugin, which stops at its first failure, it sends one
// reason per node, so that kube-scheduler's FailedScheduling event totals
// nodes per reason instead of per combination of reasons. It returns the
// zero Reason when the list is empty.
func (rs Reasons) Primary() Reason {
	for _, r := range rs {
		if r.Unresolvable {
			return r
		}
	}
	if len(rs) == 0 {
		return Reason{}
	}
	return rs[0]
}

// String joins all the reasons as one line, for explanations.
func (rs Reasons) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}
