package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	st "github.com/volplace/volplace/topology/testing"
)

// Names of the benchmark's objects.
const (
	namespace    = "throughput"
	storageClass = "zonal"
	csiDriver    = st.ZonalDriver
	// attachLimit is the CSINode attach limit, as in scheduler_perf's
	// SchedulingCSIPVs.
	attachLimit = 39
	// Per-pod requests and per-node allocatable, as in scheduler_perf's
	// pod-default.yaml and node-default.yaml.
	podCPU, podMemory                = "100m", "500Mi"
	nodeCPU, nodeMemory, nodeMaxPods = "4", "32Gi", "110"
	// maxPodsPerNode is how many pods fit a node: nodeCPU / podCPU.
	maxPodsPerNode   = 40
	pauseImage       = "registry.k8s.io/pause:3.10.2"
	zoneKey          = corev1.LabelTopologyZone
	nodeReadyMessage = "throughput benchmark: no kubelet runs"
)

// Workload is the cluster of one run: the same for every variant but for
// Managed.
type Workload struct {
	Nodes, Pods, Zones int
	// VolumeFraction of the pods have a claim bound to a zonal PV.
	VolumeFraction float64
	// ProvisionFraction of those have instead a claim to provision.
	ProvisionFraction float64
	// Managed has the pods with a claim request storageResource.
	Managed bool
}

func (w Workload) zone(i int) string { return st.ClusterSize{Zones: w.Zones}.ZoneName(i) }

// PodName names the i-th pod, claimName its claim.
func PodName(i int) string   { return fmt.Sprintf("pod-%05d", i) }
func claimName(i int) string { return fmt.Sprintf("data-%05d", i) }

// HasVolume tells whether the i-th pod has a claim: VolumeFraction of the
// pods, spread evenly.
func (w Workload) HasVolume(i int) bool {
	return int(float64(i+1)*w.VolumeFraction) > int(float64(i)*w.VolumeFraction)
}

// Provisioned tells whether the i-th pod's claim is one to provision:
// ProvisionFraction of the pods with a volume, spread evenly.
func (w Workload) Provisioned(i int) bool {
	if !w.HasVolume(i) {
		return false
	}
	// Number the pods with a volume, as PodZone does.
	j := int(float64(i) * w.VolumeFraction)
	return int(float64(j+1)*w.ProvisionFraction) > int(float64(j)*w.ProvisionFraction)
}

// PodZone is the zone of the i-th pod's PV, "" without one or when its
// claim is to be provisioned (any zone will do).
func (w Workload) PodZone(i int) string {
	if !w.HasVolume(i) || w.Provisioned(i) {
		return ""
	}
	// Number the pods with a volume, so that they spread over every zone
	// whatever the fraction.
	return w.zone(int(float64(i) * w.VolumeFraction))
}

// NodeZone is the zone of the i-th node.
func (w Workload) NodeZone(i int) string { return w.zone(i) }

// VolumePods counts the pods with a claim.
func (w Workload) VolumePods() int {
	n := 0
	for i := range w.Pods {
		if w.HasVolume(i) {
			n++
		}
	}
	return n
}

// Create creates the workload's objects, workers requests at a time:
// the CSIDriver, a WaitForFirstConsumer StorageClass, Ready Nodes in zones
// with CSINodes registering the driver (zone topology key, attach limit),
// per pod with a volume a claim and a zonal CSI PV bound to each other,
// and the pods, unscheduled.
func (w Workload) Create(ctx context.Context, cs kubernetes.Interface, workers int) error {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	if _, err := cs.StorageV1().CSIDrivers().Create(ctx, st.MakeCSIDriver(csiDriver).Obj(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating CSIDriver %s: %w", csiDriver, err)
	}
	if _, err := cs.StorageV1().StorageClasses().Create(ctx, st.MakeStorageClass(storageClass, csiDriver).Obj(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating StorageClass %s: %w", storageClass, err)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range w.Nodes {
		g.Go(func() error { return w.createNode(ctx, cs, i) })
	}
	for i := range w.Pods {
		g.Go(func() error { return w.createPod(ctx, cs, i) })
	}
	return g.Wait()
}

func (w Workload) createNode(ctx context.Context, cs kubernetes.Interface, i int) error {
	name := st.NodeName(i)
	node := st.MakeNode(name).Zone(w.NodeZone(i)).Obj()
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(nodeCPU),
		corev1.ResourceMemory: resource.MustParse(nodeMemory),
		corev1.ResourcePods:   resource.MustParse(nodeMaxPods),
	}
	now := metav1.Now()
	// A Node keeps the status it is created with.
	node.Status = corev1.NodeStatus{
		Capacity:    resources,
		Allocatable: resources.DeepCopy(),
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: nodeReadyMessage, LastHeartbeatTime: now, LastTransitionTime: now,
		}},
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating node %s: %w", name, err)
	}
	csiNode := st.MakeCSINode(name).LimitedDriver(csiDriver, attachLimit, zoneKey).Obj()
	if _, err := cs.StorageV1().CSINodes().Create(ctx, csiNode, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating CSINode %s: %w", name, err)
	}
	return nil
}

func (w Workload) createPod(ctx context.Context, cs kubernetes.Interface, i int) error {
	pw := st.MakePod(PodName(i)).Namespace(namespace)
	requests := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(podCPU),
		corev1.ResourceMemory: resource.MustParse(podMemory),
	}
	if w.HasVolume(i) {
		create := w.createBoundClaim
		if w.Provisioned(i) {
			create = createClaimToProvision
		}
		if err := create(ctx, cs, i); err != nil {
			return err
		}
		pw = pw.PVC(claimName(i))
		if w.Managed {
			requests[storageResource] = resource.MustParse("1")
		}
	}
	pod := pw.Obj()
	pod.UID, pod.Status = "", corev1.PodStatus{}
	pod.Spec.Containers = []corev1.Container{{
		Name:      "pause",
		Image:     pauseImage,
		Resources: corev1.ResourceRequirements{Requests: requests, Limits: requests.DeepCopy()},
	}}
	if _, err := cs.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating pod %s: %w", pod.Name, err)
	}
	return nil
}

// claimSize is the request of a claim to provision.
const claimSize = "1Gi"

// createClaimToProvision creates the i-th claim, unbound, of the
// WaitForFirstConsumer class: kube-scheduler's VolumeBinding selects a
// node for it, the tool's provisioner (provisioner.go) binds it.
func createClaimToProvision(ctx context.Context, cs kubernetes.Interface, i int) error {
	claim := st.MakePVC(claimName(i)).Namespace(namespace).Class(storageClass).Request(claimSize).Obj()
	if _, err := cs.CoreV1().PersistentVolumeClaims(namespace).Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating claim %s: %w", claim.Name, err)
	}
	return nil
}

// createBoundClaim creates the i-th claim and its PV, bound to each other
// as the PV controller leaves them (both Bound, the claim annotated
// bind-completed, the PV's claimRef carrying the claim's UID), so that
// pods bind without a provisioner or binder.
func (w Workload) createBoundClaim(ctx context.Context, cs kubernetes.Interface, i int) error {
	claim, pvName := claimName(i), "pv-"+claimName(i)
	pvc, err := cs.CoreV1().PersistentVolumeClaims(namespace).Create(ctx,
		st.MakePVC(claim).Namespace(namespace).Class(storageClass).BoundTo(pvName).Obj(), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating claim %s: %w", claim, err)
	}
	pv := st.MakePV(pvName).Class(storageClass).CSI(csiDriver, "handle-"+claim).
		NodeAffinityIn(zoneKey, w.PodZone(i)).BoundTo(namespace, claim).Obj()
	pv.Spec.ClaimRef.UID = pvc.UID
	// Create drops the status of both: set it afterwards.
	pvc.Status = corev1.PersistentVolumeClaimStatus{
		Phase: corev1.ClaimBound, AccessModes: pv.Spec.AccessModes, Capacity: pv.Spec.Capacity,
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims(namespace).UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting the status of claim %s: %w", claim, err)
	}
	created, err := cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating PV %s: %w", pvName, err)
	}
	created.Status.Phase = corev1.VolumeBound
	if _, err := cs.CoreV1().PersistentVolumes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting the status of PV %s: %w", pvName, err)
	}
	return nil
}
