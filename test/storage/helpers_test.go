package storage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/csidriver"
	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	tt "github.com/volplace/volplace/topology/testing"
)

// Timeouts of the suite.
const (
	// placeTimeout bounds the wait for pods to be placed and their volumes
	// provisioned, bound and attached.
	placeTimeout = 3 * time.Minute
	// settleFor is how long a verdict must hold (pods Pending, no new PV).
	settleFor = 10 * time.Second
)

const gi = int64(1) << 30

// startDriver starts the scenario's CSI driver (spec, named after the
// scenario) and stops it when the test ends.
func startDriver(s *e2e.Scenario, spec harness.DriverSpec) *harness.Driver {
	s.T.Helper()
	spec.Name = s.Driver
	d, err := harness.StartDriver(s.T.Context(), fw.StorageEnv(), spec)
	if err != nil {
		s.T.Fatalf("starting CSI driver %s: %v", s.Driver, err)
	}
	s.T.Cleanup(func() {
		if s.T.Failed() {
			for _, p := range d.Processes() {
				s.T.Logf("--- %s log tail:\n%s", p.Name, p.Tail(15, ""))
			}
		}
		if err := d.Stop(); err != nil {
			s.T.Errorf("stopping CSI driver %s: %v", s.Driver, err)
		}
	})
	return d
}

// driverClass creates a WaitForFirstConsumer class of the scenario's driver
// limited to zones, and waits until each registered node's provisioner
// published its CSIStorageCapacity for it.
func driverClass(s *e2e.Scenario, d *harness.Driver, zones ...string) *storagev1.StorageClass {
	s.T.Helper()
	class := s.CreateStorageClass("local", func(w *tt.StorageClassWrapper) {
		if len(zones) > 0 {
			w.AllowedTopology(csidriver.TopologyKeyZone, zones...)
		}
	})
	// A node-local driver's segments are its nodes, a zonal one's its
	// zones. In node deployment each provisioner publishes its node's
	// segment, also outside the class's allowed topology.
	var want []string
	for node, dn := range d.Spec.Nodes {
		key := node
		if d.Spec.Zonal {
			key = dn.Zone
		}
		if !slices.Contains(want, key) {
			want = append(want, key)
		}
	}
	poll(s.T, placeTimeout, fmt.Sprintf("CSIStorageCapacities of class %s for %v", class.Name, want), func() (bool, error) {
		got, err := capacities(s.T.Context(), class.Name)
		for _, key := range want {
			if got[key] == nil {
				return false, err
			}
		}
		return true, err
	})
	return class
}

// capacities lists the CSIStorageCapacities of a class, by the node their
// segment names, or its zone for a zonal driver.
func capacities(ctx context.Context, class string) (map[string]*storagev1.CSIStorageCapacity, error) {
	list, err := fw.Client.StorageV1().CSIStorageCapacities(harness.CapacityNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]*storagev1.CSIStorageCapacity{}
	for i := range list.Items {
		c := &list.Items[i]
		if c.StorageClassName != class || c.NodeTopology == nil {
			continue
		}
		key := c.NodeTopology.MatchLabels[csidriver.TopologyKeyNode]
		if key == "" {
			key = c.NodeTopology.MatchLabels[csidriver.TopologyKeyZone]
		}
		out[key] = c
	}
	return out, nil
}

// statefulSet is a StatefulSet whose pods claim one volume of class each.
// Its pods are created in parallel: without kubelets none becomes Ready,
// which the default OrderedReady policy waits for.
func statefulSet(s *e2e.Scenario, name, class, size string, replicas int32) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(replicas),
			ServiceName:         name,
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					SchedulerName: s.Profile,
					Containers: []corev1.Container{{
						Name: "db", Image: "registry.k8s.io/pause:3.10",
						VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
					}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: ptr.To(class),
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
				},
			}},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		},
	}
}

// state is what the stack made of a scenario's namespace.
type state struct {
	nodes   map[string]*corev1.Node
	pods    []corev1.Pod
	claims  map[string]*corev1.PersistentVolumeClaim
	pvs     map[string]*corev1.PersistentVolume // of the scenario's driver, by name
	attachd map[string]*storagev1.VolumeAttachment
}

func readState(ctx context.Context, s *e2e.Scenario) (*state, error) {
	st := &state{nodes: map[string]*corev1.Node{}, claims: map[string]*corev1.PersistentVolumeClaim{}, pvs: map[string]*corev1.PersistentVolume{}, attachd: map[string]*storagev1.VolumeAttachment{}}
	nodes, err := fw.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range nodes.Items {
		st.nodes[nodes.Items[i].Name] = &nodes.Items[i]
	}
	pods, err := fw.Client.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	st.pods = pods.Items
	sort.Slice(st.pods, func(i, j int) bool { return st.pods[i].Name < st.pods[j].Name })
	claims, err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range claims.Items {
		st.claims[claims.Items[i].Name] = &claims.Items[i]
	}
	pvs, err := fw.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range pvs.Items {
		if pv := &pvs.Items[i]; pv.Spec.CSI != nil && pv.Spec.CSI.Driver == s.Driver {
			st.pvs[pv.Name] = pv
		}
	}
	vas, err := fw.Client.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range vas.Items {
		if va := &vas.Items[i]; va.Spec.Attacher == s.Driver && va.Spec.Source.PersistentVolumeName != nil {
			st.attachd[*va.Spec.Source.PersistentVolumeName] = va
		}
	}
	return st, nil
}

// placed tells whether a pod is on a node with every claim Bound and, if the
// driver attaches, every volume attached to that node.
func (st *state) placed(pod *corev1.Pod, attach bool) bool {
	if pod.Spec.NodeName == "" {
		return false
	}
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		pvc := st.claims[v.PersistentVolumeClaim.ClaimName]
		if pvc == nil || pvc.Status.Phase != corev1.ClaimBound {
			return false
		}
		if attach {
			va := st.attachd[pvc.Spec.VolumeName]
			if va == nil || !va.Status.Attached || va.Spec.NodeName != pod.Spec.NodeName {
				return false
			}
		}
	}
	return true
}

// summary counts placed and pending pods.
func (st *state) summary(attach bool) (placed, pending []string) {
	for i := range st.pods {
		p := &st.pods[i]
		if st.placed(p, attach) {
			placed = append(placed, p.Name+"@"+p.Spec.NodeName)
		} else if p.Spec.NodeName == "" {
			pending = append(pending, p.Name)
		}
	}
	return placed, pending
}

// checkConsistent fails the test on a volume in the wrong place or that no
// claim holds: each PV is bound to a claim of the namespace, its node
// affinity names the node of the pod using it, and each VolumeAttachment
// is for a PV used by a pod on the attachment's node.
func checkConsistent(t *testing.T, st *state) {
	t.Helper()
	podOf := map[string]*corev1.Pod{}
	for i := range st.pods {
		for _, v := range st.pods[i].Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				podOf[v.PersistentVolumeClaim.ClaimName] = &st.pods[i]
			}
		}
	}
	for name, pv := range st.pvs {
		ref := pv.Spec.ClaimRef
		if ref == nil || st.claims[ref.Name] == nil {
			t.Errorf("PV %s is bound to no claim of the scenario (claimRef %v)", name, ref)
			continue
		}
		pod := podOf[ref.Name]
		if pod == nil || pod.Spec.NodeName == "" {
			continue
		}
		node := st.nodes[pod.Spec.NodeName]
		if node == nil {
			t.Errorf("PV %s of claim %s: its pod %s is on node %s, which does not exist", name, ref.Name, pod.Name, pod.Spec.NodeName)
			continue
		}
		if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
			t.Errorf("PV %s of claim %s has no node affinity", name, ref.Name)
			continue
		}
		if ok, err := corev1helpers.MatchNodeSelectorTerms(node, pv.Spec.NodeAffinity.Required); err != nil || !ok {
			t.Errorf("PV %s of claim %s: its node affinity %v does not admit node %s of its pod %s (%v)", name, ref.Name, pv.Spec.NodeAffinity.Required, node.Name, pod.Name, err)
		}
	}
	for pvName, va := range st.attachd {
		pv := st.pvs[pvName]
		if pv == nil {
			t.Errorf("VolumeAttachment %s is for PV %s, which does not exist", va.Name, pvName)
			continue
		}
		pod := podOf[pv.Spec.ClaimRef.Name]
		if pod == nil || pod.Spec.NodeName != va.Spec.NodeName {
			t.Errorf("VolumeAttachment %s attaches %s to %s, where no pod uses it", va.Name, pvName, va.Spec.NodeName)
		}
	}
}

// poll waits for cond, failing the test with what it waited for.
func poll(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	if err := harness.Poll(t.Context(), timeout, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// failedScheduling returns the latest FailedScheduling message of a pod.
func failedScheduling(s *e2e.Scenario, pod *corev1.Pod) string {
	events, err := s.Events(pod)
	if err != nil {
		return ""
	}
	var msg string
	for _, e := range events {
		if e.Reason == "FailedScheduling" {
			msg = e.Message
		}
	}
	return msg
}

// reapTerminating deletes at once the scenario's pods that are being
// deleted, as kubelet does once their containers stopped; without kubelets
// they would stay Terminating.
func reapTerminating(s *e2e.Scenario) error {
	pods, err := fw.Client.CoreV1().Pods(s.Namespace).List(s.T.Context(), metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			err := fw.Client.CoreV1().Pods(s.Namespace).Delete(s.T.Context(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func join(items []string) string { return strings.Join(items, ", ") }

// createPod creates a pod of the scenario's profile that uses claims, with
// no node selector: any of the suite's nodes may take it.
func createPod(s *e2e.Scenario, name string, claims ...string) *corev1.Pod {
	s.T.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace},
		Spec: corev1.PodSpec{
			SchedulerName: s.Profile,
			Containers:    []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	for _, c := range claims {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: c, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c},
		}})
	}
	created, err := fw.Client.CoreV1().Pods(s.Namespace).Create(s.T.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		s.T.Fatalf("creating pod %s: %v", name, err)
	}
	return created
}
