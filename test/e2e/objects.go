package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	tt "github.com/volplace/volplace/topology/testing"
)

// ScenarioLabel is on every Node of a scenario and in the nodeSelector of
// its pods, so that scenarios sharing the control plane cannot see each
// other's nodes.
const ScenarioLabel = "e2e.volplace.io/scenario"

// Annotations the PV controller and kube-scheduler use.
const (
	annBindCompleted = "pv.kubernetes.io/bind-completed"
	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
)

// fw is the Framework TestMain started.
var fw *Framework

// scenarios counts the scenarios started; scheduled the pods
// kube-scheduler bound (through volplace's filter), for TestMain's final
// checks.
var scenarios, scheduled atomic.Int32

// scenarioRuns counts the runs of each scenario name.
var scenarioRuns sync.Map

// Scenario is one test's slice of the shared cluster: a namespace, Nodes
// whose names start with Name, a CSI driver of its own and pods that only
// fit its Nodes.
type Scenario struct {
	T *testing.T
	F *Framework
	// Name prefixes the scenario's cluster-scoped objects and is the value
	// of ScenarioLabel.
	Name string
	// Namespace holds the scenario's namespaced objects.
	Namespace string
	// Profile is the schedulerName of the scenario's pods.
	Profile string
	// Driver is the scenario's CSI driver (and provisioner) name.
	Driver string

	mu      sync.Mutex
	written []written
	// failures are the FailedScheduling messages WaitUnschedulable found,
	// by pod name.
	failures map[string]string
}

// NewScenario creates the namespace of a scenario whose pods kube-scheduler
// places with the given profile. namespace, if given, edits the namespace
// (labels, annotations) before creation.
func NewScenario(t *testing.T, name, profile string, namespace ...func(*Scenario, *corev1.Namespace)) *Scenario {
	t.Helper()
	if fw == nil {
		t.Fatal("the e2e framework is not running (TestMain did not start it)")
	}
	// Under -count=N the same scenario runs again against the same cluster:
	// give each run its own names.
	runs, _ := scenarioRuns.LoadOrStore(name, new(atomic.Int32))
	if run := runs.(*atomic.Int32).Add(1); run > 1 {
		name = fmt.Sprintf("%s-r%d", name, run)
	}
	s := &Scenario{
		T: t, F: fw, Name: name, Namespace: "e2e-" + name, Profile: profile,
		Driver: name + ".csi.e2e.volplace.io",
	}
	// The namespace must be a DNS label, the driver name at most 63
	// characters, the name a label value.
	errs := append(validation.IsDNS1123Label(s.Namespace), validation.IsValidLabelValue(s.Name)...)
	if errs = append(errs, validation.IsDNS1123Subdomain(s.Driver)...); len(s.Driver) > 63 {
		errs = append(errs, "CSI driver name "+s.Driver+" is longer than 63 characters")
	}
	if len(errs) > 0 {
		t.Fatalf("scenario name %q is unusable: %v", name, errs)
	}
	scenarios.Add(1)
	t.Cleanup(func() {
		if t.Failed() {
			fw.KeepLogs()
		}
	})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.Namespace}}
	for _, m := range namespace {
		m(s, ns)
	}
	if _, err := s.F.Client.CoreV1().Namespaces().Create(s.ctx(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", s.Namespace, err)
	}
	return s
}

// NodeName returns the full name of the scenario's node with a suffix.
func (s *Scenario) NodeName(suffix string) string { return s.Name + "-" + suffix }

// Short strips the scenario prefix from a node name, so that placements of
// two scenarios compare.
func (s *Scenario) Short(node string) string { return strings.TrimPrefix(node, s.Name+"-") }

// CreateNode creates a Ready node <scenario>-<suffix> in a zone, with room
// for 110 pods and no taints. mutate, if given, edits it before creation.
func (s *Scenario) CreateNode(suffix, zone string, mutate ...func(*corev1.Node)) *corev1.Node {
	s.T.Helper()
	w := tt.MakeNode(s.NodeName(suffix)).Label(ScenarioLabel, s.Name)
	if zone != "" {
		w.Zone(zone)
	}
	node := w.Obj()
	for _, m := range mutate {
		m(node)
	}
	created, err := s.F.Client.CoreV1().Nodes().Create(s.ctx(), node, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating node %s: %v", node.Name, err)
	}
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	now := metav1.Now()
	created.Status.Capacity = resources
	created.Status.Allocatable = resources.DeepCopy()
	created.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "volplace e2e: no kubelet runs", LastHeartbeatTime: now, LastTransitionTime: now,
	}}
	updated, err := s.F.Client.CoreV1().Nodes().UpdateStatus(s.ctx(), created, metav1.UpdateOptions{})
	if err != nil {
		s.T.Fatalf("setting the status of node %s: %v", node.Name, err)
	}
	if len(updated.Spec.Taints) > 0 {
		s.T.Fatalf("node %s has taints %v: is the TaintNodesByCondition admission plugin on?", node.Name, updated.Spec.Taints)
	}
	s.record("Node", updated)
	return updated
}

// DriverOn returns the CSINode entry of the scenario's driver on a node,
// with the zone as topology key and an attach limit (0: none).
func (s *Scenario) DriverOn(node string, limit int32) storagev1.CSINodeDriver {
	d := tt.MakeCSINode(node)
	if limit > 0 {
		d.LimitedDriver(s.Driver, limit, corev1.LabelTopologyZone)
	} else {
		d.Driver(s.Driver, corev1.LabelTopologyZone)
	}
	return d.Spec.Drivers[0]
}

// CreateCSINode creates the CSINode of a node with the given drivers.
func (s *Scenario) CreateCSINode(node string, drivers ...storagev1.CSINodeDriver) *storagev1.CSINode {
	s.T.Helper()
	csiNode := tt.MakeCSINode(node).Obj()
	csiNode.Spec.Drivers = drivers
	if csiNode.Spec.Drivers == nil {
		csiNode.Spec.Drivers = []storagev1.CSINodeDriver{}
	}
	created, err := s.F.Client.StorageV1().CSINodes().Create(s.ctx(), csiNode, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating CSINode %s: %v", node, err)
	}
	s.record("CSINode", created)
	return created
}

// CreateNodes creates one node per zone, n1, n2, ..., each with a CSINode
// that registers the scenario's driver without attach limit.
func (s *Scenario) CreateNodes(zones ...string) []*corev1.Node {
	s.T.Helper()
	nodes := make([]*corev1.Node, len(zones))
	for i, zone := range zones {
		nodes[i] = s.CreateNode(fmt.Sprintf("n%d", i+1), zone)
		s.CreateCSINode(nodes[i].Name, s.DriverOn(nodes[i].Name, 0))
	}
	return nodes
}

// CreateCSIDriver creates the CSIDriver object of the scenario's driver.
func (s *Scenario) CreateCSIDriver(mutate ...func(*storagev1.CSIDriver)) *storagev1.CSIDriver {
	s.T.Helper()
	d := tt.MakeCSIDriver(s.Driver).Obj()
	for _, m := range mutate {
		m(d)
	}
	created, err := s.F.Client.StorageV1().CSIDrivers().Create(s.ctx(), d, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating CSIDriver %s: %v", d.Name, err)
	}
	s.record("CSIDriver", created)
	return created
}

// CreateStorageClass creates a WaitForFirstConsumer class <scenario>-<name>
// provisioned by the scenario's driver.
func (s *Scenario) CreateStorageClass(name string, mutate ...func(*tt.StorageClassWrapper)) *storagev1.StorageClass {
	s.T.Helper()
	w := tt.MakeStorageClass(s.Name+"-"+name, s.Driver)
	for _, m := range mutate {
		m(w)
	}
	created, err := s.F.Client.StorageV1().StorageClasses().Create(s.ctx(), w.Obj(), metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating StorageClass %s: %v", w.Name, err)
	}
	s.record("StorageClass", created)
	return created
}

// CreateBoundClaim creates a claim and a CSI PersistentVolume
// <scenario>-<claim> of the scenario's driver, bound to each other as the PV
// controller leaves them: the PV with a claimRef and phase Bound, the claim
// with volumeName, the bind-completed annotation and phase Bound. The PV is
// ReadWriteOnce, 10Gi, without storage class or node affinity unless mutate
// says otherwise; the claim copies its access modes.
func (s *Scenario) CreateBoundClaim(claim string, mutate ...func(*tt.PVWrapper)) *corev1.PersistentVolumeClaim {
	s.T.Helper()
	pvName := s.Name + "-" + claim
	pvw := tt.MakePV(pvName).CSI(s.Driver, pvName).BoundTo(s.Namespace, claim)
	for _, m := range mutate {
		m(pvw)
	}
	pv := pvw.Obj()

	pvc := tt.MakePVC(claim).Namespace(s.Namespace).Class(pv.Spec.StorageClassName).
		AccessModes(pv.Spec.AccessModes...).Request(pv.Spec.Capacity.Storage().String()).BoundTo(pvName).Obj()
	pvc.UID = ""
	pvc.Status.Capacity = pv.Spec.Capacity.DeepCopy()
	pvc.Status.AccessModes = pv.Spec.AccessModes
	pvc = s.createClaim(pvc)

	pv.Spec.ClaimRef.UID = pvc.UID
	s.createPV(pv)
	return pvc
}

// CreateClaim creates an unbound claim of a class.
func (s *Scenario) CreateClaim(name, class, size string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	s.T.Helper()
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	pvc := tt.MakePVC(name).Namespace(s.Namespace).Class(class).Request(size).AccessModes(modes...).Obj()
	pvc.UID = ""
	return s.createClaim(pvc)
}

// createClaim creates a claim, then writes its status.
func (s *Scenario) createClaim(pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	s.T.Helper()
	status := pvc.Status
	pvc = pvc.DeepCopy()
	pvc.Status = corev1.PersistentVolumeClaimStatus{}
	created, err := s.F.Client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Create(s.ctx(), pvc, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating claim %s: %v", pvc.Name, err)
	}
	if status.Phase != "" && status.Phase != corev1.ClaimPending {
		created.Status = status
		if created, err = s.F.Client.CoreV1().PersistentVolumeClaims(pvc.Namespace).UpdateStatus(s.ctx(), created, metav1.UpdateOptions{}); err != nil {
			s.T.Fatalf("setting the status of claim %s: %v", pvc.Name, err)
		}
	}
	s.record("PersistentVolumeClaim", created)
	return created
}

// createPV creates a PersistentVolume, then writes its status.
func (s *Scenario) createPV(pv *corev1.PersistentVolume) *corev1.PersistentVolume {
	s.T.Helper()
	created, err := createPV(s.ctx(), s.F, pv)
	if err != nil {
		s.T.Fatal(err)
	}
	s.record("PersistentVolume", created)
	return created
}

func createPV(ctx context.Context, f *Framework, pv *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	status := pv.Status
	pv = pv.DeepCopy()
	pv.Status = corev1.PersistentVolumeStatus{}
	created, err := f.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating PersistentVolume %s: %w", pv.Name, err)
	}
	created.Status = status
	if created, err = f.Client.CoreV1().PersistentVolumes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("setting the status of PersistentVolume %s: %w", pv.Name, err)
	}
	return created, nil
}

// podFor builds a pod of the scenario's profile that only fits its nodes
// and mounts the claims.
func (s *Scenario) podFor(name string, claims ...string) *corev1.Pod {
	w := tt.MakePod(name).Namespace(s.Namespace)
	for _, c := range claims {
		w.PVC(c)
	}
	pod := w.Obj()
	pod.UID = ""
	pod.Status = corev1.PodStatus{}
	pod.Spec.SchedulerName = s.Profile
	pod.Spec.NodeSelector = map[string]string{ScenarioLabel: s.Name}
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](0)
	container := corev1.Container{Name: "app", Image: "registry.invalid/volplace-e2e:none"}
	for _, v := range pod.Spec.Volumes {
		container.VolumeMounts = append(container.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: "/mnt/" + v.Name})
	}
	pod.Spec.Containers = []corev1.Container{container}
	return pod
}

// CreatePod creates a pod for kube-scheduler to place.
func (s *Scenario) CreatePod(name string, claims ...string) *corev1.Pod {
	s.T.Helper()
	created, err := s.F.Client.CoreV1().Pods(s.Namespace).Create(s.ctx(), s.podFor(name, claims...), metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating pod %s: %v", name, err)
	}
	s.record("Pod", created)
	return created
}

// CreateRunningPod creates a pod already bound to a node (spec.nodeName, as
// if scheduled earlier) with phase Running, as a kubelet would report it.
func (s *Scenario) CreateRunningPod(name, node string, claims ...string) *corev1.Pod {
	s.T.Helper()
	pod := s.podFor(name, claims...)
	pod.Spec.NodeName = node
	created, err := s.F.Client.CoreV1().Pods(s.Namespace).Create(s.ctx(), pod, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating pod %s: %v", name, err)
	}
	now := metav1.Now()
	created.Status.Phase = corev1.PodRunning
	created.Status.StartTime = &now
	created.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	if created, err = s.F.Client.CoreV1().Pods(s.Namespace).UpdateStatus(s.ctx(), created, metav1.UpdateOptions{}); err != nil {
		s.T.Fatalf("setting the status of pod %s: %v", name, err)
	}
	s.record("Pod", created)
	return created
}

// DeletePod deletes a pod at once (no kubelet has to confirm).
func (s *Scenario) DeletePod(pod *corev1.Pod) {
	s.T.Helper()
	err := s.F.Client.CoreV1().Pods(pod.Namespace).Delete(s.ctx(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	if err != nil {
		s.T.Fatalf("deleting pod %s: %v", pod.Name, err)
	}
}

// CreateAttachment creates an attached VolumeAttachment of a PV of the
// scenario's driver to a node, as the attach/detach controller and the CSI
// external-attacher leave it.
func (s *Scenario) CreateAttachment(pv, node string) *storagev1.VolumeAttachment {
	s.T.Helper()
	va := tt.MakeAttachment(pv+"-"+node, s.Driver, pv, node)
	va.Status = storagev1.VolumeAttachmentStatus{}
	created, err := s.F.Client.StorageV1().VolumeAttachments().Create(s.ctx(), va, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating VolumeAttachment %s: %v", va.Name, err)
	}
	created.Status.Attached = true
	if created, err = s.F.Client.StorageV1().VolumeAttachments().UpdateStatus(s.ctx(), created, metav1.UpdateOptions{}); err != nil {
		s.T.Fatalf("setting the status of VolumeAttachment %s: %v", va.Name, err)
	}
	s.record("VolumeAttachment", created, func(w *written) { w.attachmentPV = pv })
	return created
}

// CreateCapacity creates a CSIStorageCapacity of a class for the nodes of
// a zone.
func (s *Scenario) CreateCapacity(class, zone, capacity string) *storagev1.CSIStorageCapacity {
	s.T.Helper()
	c := tt.MakeCapacity(class+"-"+zone, class).Capacity(capacity).Topology(corev1.LabelTopologyZone, zone).Obj()
	c.Namespace = s.Namespace
	created, err := s.F.Client.StorageV1().CSIStorageCapacities(s.Namespace).Create(s.ctx(), c, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating CSIStorageCapacity %s: %v", c.Name, err)
	}
	s.record("CSIStorageCapacity", created, func(w *written) { w.class = class })
	return created
}

// Cordon marks a node unschedulable, then waits until kube-scheduler has
// seen it: a probe pod pinned to the node must fail with NodeUnschedulable's
// reason. Without that wait, a pod created next could still be placed on
// the node from kube-scheduler's stale cache.
func (s *Scenario) Cordon(node string) {
	s.T.Helper()
	n, err := s.F.Client.CoreV1().Nodes().Get(s.ctx(), node, metav1.GetOptions{})
	if err != nil {
		s.T.Fatalf("getting node %s: %v", node, err)
	}
	n.Spec.Unschedulable = true
	if n, err = s.F.Client.CoreV1().Nodes().Update(s.ctx(), n, metav1.UpdateOptions{}); err != nil {
		s.T.Fatalf("cordoning node %s: %v", node, err)
	}
	s.record("Node", n)

	// A probe pinned to the node proves that kube-scheduler saw the update.
	// If it was faster than the update, it lands on the node: try again.
	for i := range 5 {
		probe := s.podFor(fmt.Sprintf("probe-cordon-%s-%d", s.Short(node), i))
		probe.Spec.NodeSelector[corev1.LabelHostname] = node
		if probe, err = s.F.Client.CoreV1().Pods(s.Namespace).Create(s.ctx(), probe, metav1.CreateOptions{}); err != nil {
			s.T.Fatalf("creating probe pod: %v", err)
		}
		placed, _ := s.WaitOutcome(probe, "node(s) were unschedulable")
		s.DeletePod(probe)
		if placed == "" {
			return
		}
		s.logf("probe %s landed on %s before kube-scheduler saw the cordon; retrying", probe.Name, placed)
	}
	s.T.Fatalf("kube-scheduler kept placing pods on %s after it was cordoned", node)
}
