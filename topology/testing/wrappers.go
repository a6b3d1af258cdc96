// Package testing provides fluent builders of the objects topology reads,
// modelled on kube-scheduler's pkg/scheduler/testing wrappers.
package testing

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// DefaultNamespace is the namespace of pods and claims built without one.
const DefaultNamespace = "default"

// NodeWrapper builds a Node.
type NodeWrapper struct{ corev1.Node }

// MakeNode starts a Node named name with a kubernetes.io/hostname label.
func MakeNode(name string) *NodeWrapper {
	w := &NodeWrapper{}
	w.Name = name
	w.Labels = map[string]string{corev1.LabelHostname: name}
	return w
}

// Label sets a label.
func (w *NodeWrapper) Label(k, v string) *NodeWrapper { w.Labels[k] = v; return w }

// Zone sets the GA zone label.
func (w *NodeWrapper) Zone(zone string) *NodeWrapper { return w.Label(corev1.LabelTopologyZone, zone) }

// AttachLimit sets the attachable-volumes-csi-<driver> allocatable resource.
func (w *NodeWrapper) AttachLimit(driver string, n int64) *NodeWrapper {
	if w.Status.Allocatable == nil {
		w.Status.Allocatable = corev1.ResourceList{}
	}
	w.Status.Allocatable[corev1.ResourceName("attachable-volumes-csi-"+driver)] = *resource.NewQuantity(n, resource.DecimalSI)
	return w
}

// Obj returns the Node.
func (w *NodeWrapper) Obj() *corev1.Node { return &w.Node }

// LabelledNode returns node n<i> of a small cluster whose labels vary with
// version: a zone (a, b or c, or none), a rack on two nodes of three, and a
// CPU count, for tests of label selectors and the label index.
func LabelledNode(i, version int) *corev1.Node {
	w := MakeNode(fmt.Sprintf("n%d", i))
	if z := (i + version) % 4; z < 3 {
		w.Label("zone", string(rune('a'+z)))
	}
	if i%3 != 0 {
		w.Label("rack", fmt.Sprintf("r%d", (i+version)%3))
	}
	return w.Label("cpus", fmt.Sprint(4*(i%5))).Obj()
}

// CSINodeWrapper builds a CSINode.
type CSINodeWrapper struct{ storagev1.CSINode }

// MakeCSINode starts the CSINode of a node.
func MakeCSINode(node string) *CSINodeWrapper {
	w := &CSINodeWrapper{}
	w.Name = node
	return w
}

// Driver registers a driver with topology keys and no attach limit.
func (w *CSINodeWrapper) Driver(name string, topologyKeys ...string) *CSINodeWrapper {
	w.Spec.Drivers = append(w.Spec.Drivers, storagev1.CSINodeDriver{Name: name, NodeID: w.Name, TopologyKeys: topologyKeys})
	return w
}

// LimitedDriver registers a driver with an attach limit and topology keys.
func (w *CSINodeWrapper) LimitedDriver(name string, limit int32, topologyKeys ...string) *CSINodeWrapper {
	w.Driver(name, topologyKeys...)
	w.Spec.Drivers[len(w.Spec.Drivers)-1].Allocatable = &storagev1.VolumeNodeResources{Count: ptr.To(limit)}
	return w
}

// Obj returns the CSINode.
func (w *CSINodeWrapper) Obj() *storagev1.CSINode { return &w.CSINode }

// CSIDriverWrapper builds a CSIDriver.
type CSIDriverWrapper struct{ storagev1.CSIDriver }

// MakeCSIDriver starts a CSIDriver.
func MakeCSIDriver(name string) *CSIDriverWrapper {
	w := &CSIDriverWrapper{}
	w.Name = name
	return w
}

// StorageCapacity sets spec.storageCapacity.
func (w *CSIDriverWrapper) StorageCapacity(on bool) *CSIDriverWrapper {
	w.Spec.StorageCapacity = ptr.To(on)
	return w
}

// AttachRequired sets spec.attachRequired.
func (w *CSIDriverWrapper) AttachRequired(on bool) *CSIDriverWrapper {
	w.Spec.AttachRequired = ptr.To(on)
	return w
}

// Obj returns the CSIDriver.
func (w *CSIDriverWrapper) Obj() *storagev1.CSIDriver { return &w.CSIDriver }

// StorageClassWrapper builds a StorageClass.
type StorageClassWrapper struct{ storagev1.StorageClass }

// MakeStorageClass starts a WaitForFirstConsumer class.
func MakeStorageClass(name, provisioner string) *StorageClassWrapper {
	w := &StorageClassWrapper{}
	w.Name = name
	w.Provisioner = provisioner
	w.VolumeBindingMode = ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)
	return w
}

// Immediate sets volumeBindingMode: Immediate.
func (w *StorageClassWrapper) Immediate() *StorageClassWrapper {
	w.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	return w
}

// AllowedTopology adds an allowedTopologies term with one expression.
func (w *StorageClassWrapper) AllowedTopology(key string, values ...string) *StorageClassWrapper {
	w.AllowedTopologies = append(w.AllowedTopologies, corev1.TopologySelectorTerm{
		MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: key, Values: values}},
	})
	return w
}

// Annotation sets an annotation.
func (w *StorageClassWrapper) Annotation(k, v string) *StorageClassWrapper {
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	w.Annotations[k] = v
	return w
}

// Obj returns the StorageClass.
func (w *StorageClassWrapper) Obj() *storagev1.StorageClass { return &w.StorageClass }

// PVWrapper builds a PersistentVolume.
type PVWrapper struct{ corev1.PersistentVolume }

// MakePV starts an Available ReadWriteOnce PV of 10Gi.
func MakePV(name string) *PVWrapper {
	w := &PVWrapper{}
	w.Name = name
	w.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}
	w.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	w.Status.Phase = corev1.VolumeAvailable
	return w
}

// Class sets the storage class.
func (w *PVWrapper) Class(name string) *PVWrapper { w.Spec.StorageClassName = name; return w }

// Capacity sets the capacity.
func (w *PVWrapper) Capacity(q string) *PVWrapper {
	w.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse(q)
	return w
}

// AccessModes sets the access modes.
func (w *PVWrapper) AccessModes(modes ...corev1.PersistentVolumeAccessMode) *PVWrapper {
	w.Spec.AccessModes = modes
	return w
}

// CSI makes it a CSI volume.
func (w *PVWrapper) CSI(driver, handle string) *PVWrapper {
	w.Spec.CSI = &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: handle}
	return w
}

// Label sets a label.
func (w *PVWrapper) Label(k, v string) *PVWrapper {
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	w.Labels[k] = v
	return w
}

// NodeAffinityIn adds a required node affinity term "key In values".
func (w *PVWrapper) NodeAffinityIn(key string, values ...string) *PVWrapper {
	return w.affinityTerm(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values},
	}})
}

// NodeAffinityName adds a required node affinity term on metadata.name.
func (w *PVWrapper) NodeAffinityName(nodes ...string) *PVWrapper {
	return w.affinityTerm(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
		{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: nodes},
	}})
}

// NodeAffinityTerm adds a raw required node affinity term.
func (w *PVWrapper) NodeAffinityTerm(term corev1.NodeSelectorTerm) *PVWrapper {
	return w.affinityTerm(term)
}

func (w *PVWrapper) affinityTerm(term corev1.NodeSelectorTerm) *PVWrapper {
	if w.Spec.NodeAffinity == nil {
		w.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{}}
	}
	w.Spec.NodeAffinity.Required.NodeSelectorTerms = append(w.Spec.NodeAffinity.Required.NodeSelectorTerms, term)
	return w
}

// BoundTo binds the PV to a claim.
func (w *PVWrapper) BoundTo(namespace, claim string) *PVWrapper {
	w.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: namespace, Name: claim}
	w.Status.Phase = corev1.VolumeBound
	return w
}

// PreBoundTo pre-binds an Available PV to a claim.
func (w *PVWrapper) PreBoundTo(namespace, claim string) *PVWrapper {
	w.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: namespace, Name: claim}
	return w
}

// Created sets the PV's creation time.
func (w *PVWrapper) Created(t time.Time) *PVWrapper {
	w.CreationTimestamp = metav1.Time{Time: t}
	return w
}

// ResourceVersion sets the PV's resource version.
func (w *PVWrapper) ResourceVersion(v string) *PVWrapper { w.ObjectMeta.ResourceVersion = v; return w }

// Phase sets status.phase.
func (w *PVWrapper) Phase(p corev1.PersistentVolumePhase) *PVWrapper { w.Status.Phase = p; return w }

// Obj returns the PV.
func (w *PVWrapper) Obj() *corev1.PersistentVolume { return &w.PersistentVolume }

// PVCWrapper builds a PersistentVolumeClaim.
type PVCWrapper struct{ corev1.PersistentVolumeClaim }

// MakePVC starts a Pending ReadWriteOnce claim of 1Gi in the default namespace.
func MakePVC(name string) *PVCWrapper {
	w := &PVCWrapper{}
	w.Name = name
	w.ObjectMeta.Namespace = DefaultNamespace
	w.UID = types.UID("uid-pvc-" + name)
	w.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	w.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}
	w.Status.Phase = corev1.ClaimPending
	return w
}

// Namespace sets the namespace.
func (w *PVCWrapper) Namespace(ns string) *PVCWrapper { w.ObjectMeta.Namespace = ns; return w }

// Class sets spec.storageClassName.
func (w *PVCWrapper) Class(name string) *PVCWrapper { w.Spec.StorageClassName = ptr.To(name); return w }

// Request sets the requested storage.
func (w *PVCWrapper) Request(q string) *PVCWrapper {
	w.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse(q)
	return w
}

// NoRequest removes the storage request.
func (w *PVCWrapper) NoRequest() *PVCWrapper { w.Spec.Resources.Requests = nil; return w }

// AccessModes sets the access modes.
func (w *PVCWrapper) AccessModes(modes ...corev1.PersistentVolumeAccessMode) *PVCWrapper {
	w.Spec.AccessModes = modes
	return w
}

// BoundTo binds the claim to a PV, as the PV controller does.
func (w *PVCWrapper) BoundTo(pv string) *PVCWrapper {
	w.Spec.VolumeName = pv
	w.Annotation("pv.kubernetes.io/bind-completed", "yes")
	w.Status.Phase = corev1.ClaimBound
	return w
}

// VolumeName sets spec.volumeName without completing the bind.
func (w *PVCWrapper) VolumeName(pv string) *PVCWrapper { w.Spec.VolumeName = pv; return w }

// SelectedNode sets the volume.kubernetes.io/selected-node annotation.
func (w *PVCWrapper) SelectedNode(node string) *PVCWrapper {
	return w.Annotation("volume.kubernetes.io/selected-node", node)
}

// Annotation sets an annotation.
func (w *PVCWrapper) Annotation(k, v string) *PVCWrapper {
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	w.Annotations[k] = v
	return w
}

// Selector sets spec.selector to match labels.
func (w *PVCWrapper) Selector(matchLabels map[string]string) *PVCWrapper {
	w.Spec.Selector = &metav1.LabelSelector{MatchLabels: matchLabels}
	return w
}

// Deleting sets a deletion timestamp.
func (w *PVCWrapper) Deleting() *PVCWrapper { w.DeletionTimestamp = &metav1.Time{}; return w }

// Lost sets status.phase Lost.
func (w *PVCWrapper) Lost() *PVCWrapper { w.Status.Phase = corev1.ClaimLost; return w }

// OwnedBy sets a controller owner reference to a pod.
func (w *PVCWrapper) OwnedBy(pod *corev1.Pod) *PVCWrapper {
	w.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID, Controller: ptr.To(true),
	}}
	return w
}

// Obj returns the claim.
func (w *PVCWrapper) Obj() *corev1.PersistentVolumeClaim { return &w.PersistentVolumeClaim }

// PodWrapper builds a Pod.
type PodWrapper struct{ corev1.Pod }

// MakePod starts a pending pod in the default namespace.
func MakePod(name string) *PodWrapper {
	w := &PodWrapper{}
	w.Name = name
	w.ObjectMeta.Namespace = DefaultNamespace
	w.UID = types.UID("uid-pod-" + name)
	w.Status.Phase = corev1.PodPending
	return w
}

// Namespace sets the namespace.
func (w *PodWrapper) Namespace(ns string) *PodWrapper { w.ObjectMeta.Namespace = ns; return w }

// PVC adds a volume that uses a claim.
func (w *PodWrapper) PVC(claim string) *PodWrapper {
	w.Spec.Volumes = append(w.Spec.Volumes, corev1.Volume{
		Name:         "vol-" + claim,
		VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}},
	})
	return w
}

// Ephemeral adds a generic ephemeral volume; its claim is "<pod>-<volume>".
func (w *PodWrapper) Ephemeral(volume string) *PodWrapper {
	w.Spec.Volumes = append(w.Spec.Volumes, corev1.Volume{
		Name:         volume,
		VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}},
	})
	return w
}

// EmptyDir adds a volume without a claim.
func (w *PodWrapper) EmptyDir(volume string) *PodWrapper {
	w.Spec.Volumes = append(w.Spec.Volumes, corev1.Volume{
		Name:         volume,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
	})
	return w
}

// Node assigns the pod to a node and marks it Running.
func (w *PodWrapper) Node(node string) *PodWrapper {
	w.Spec.NodeName = node
	w.Status.Phase = corev1.PodRunning
	return w
}

// Phase sets status.phase.
func (w *PodWrapper) Phase(p corev1.PodPhase) *PodWrapper { w.Status.Phase = p; return w }

// Obj returns the pod.
func (w *PodWrapper) Obj() *corev1.Pod { return &w.Pod }

// CapacityWrapper builds a CSIStorageCapacity.
type CapacityWrapper struct{ storagev1.CSIStorageCapacity }

// MakeCapacity starts a CSIStorageCapacity of a class in the kube-system
// namespace.
func MakeCapacity(name, class string) *CapacityWrapper {
	w := &CapacityWrapper{}
	w.Name = name
	w.Namespace = "kube-system"
	w.StorageClassName = class
	return w
}

// Capacity sets capacity.
func (w *CapacityWrapper) Capacity(q string) *CapacityWrapper {
	w.CSIStorageCapacity.Capacity = ptr.To(resource.MustParse(q))
	return w
}

// MaximumVolumeSize sets maximumVolumeSize.
func (w *CapacityWrapper) MaximumVolumeSize(q string) *CapacityWrapper {
	w.CSIStorageCapacity.MaximumVolumeSize = ptr.To(resource.MustParse(q))
	return w
}

// Topology sets nodeTopology to match one label.
func (w *CapacityWrapper) Topology(k, v string) *CapacityWrapper {
	w.NodeTopology = &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
	return w
}

// Written records t as the last write of the object, in its managed
// fields, as the API server does on every update.
func (w *CapacityWrapper) Written(t time.Time) *CapacityWrapper {
	w.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "csi-provisioner", Operation: metav1.ManagedFieldsOperationUpdate, Time: &metav1.Time{Time: t}}}
	return w
}

// ResourceVersion sets the object's resource version.
func (w *CapacityWrapper) ResourceVersion(v string) *CapacityWrapper {
	w.ObjectMeta.ResourceVersion = v
	return w
}

// Obj returns the CSIStorageCapacity.
func (w *CapacityWrapper) Obj() *storagev1.CSIStorageCapacity { return &w.CSIStorageCapacity }

// MakeAttachment returns a VolumeAttachment of a PV to a node.
func MakeAttachment(name, attacher, pv, node string) *storagev1.VolumeAttachment {
	va := &storagev1.VolumeAttachment{}
	va.Name = name
	va.Spec.Attacher = attacher
	va.Spec.NodeName = node
	va.Spec.Source.PersistentVolumeName = ptr.To(pv)
	va.Status.Attached = true
	return va
}
