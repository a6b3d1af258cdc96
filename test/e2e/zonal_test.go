package e2e

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
)

// A bound PV with node affinity to zone-a pins its pods to the zone-a node
// among three zones, whether kube-scheduler's VolumeBinding or volplace
// alone judges it.
func TestBoundPVNodeAffinity(t *testing.T) {
	t.Parallel()
	underBothProfiles(t, "zonal-pv", func(s *Scenario) Placement {
		s.CreateNodes("zone-b", "zone-a", "zone-c") // zone-a is n2, not the first node
		const pods = 3
		for i := range pods {
			s.CreateBoundClaim(fmt.Sprintf("data-%d", i), func(pv *tt.PVWrapper) {
				pv.NodeAffinityIn(corev1.LabelTopologyZone, "zone-a")
			})
		}
		s.SyncVolplace()
		got, want := Placement{}, Placement{}
		for i := range pods {
			pod := s.CreatePod(fmt.Sprintf("app-%d", i), fmt.Sprintf("data-%d", i))
			got[pod.Name] = s.Short(s.WaitScheduled(pod))
			want[pod.Name] = "n2"
		}
		expectPlacement(s, want, got)
		return got
	})
}

// A WaitForFirstConsumer claim of a class whose allowedTopologies name
// zone-b is provisioned for the zone-b node, and its pod runs there.
func TestWaitForFirstConsumerAllowedTopologies(t *testing.T) {
	t.Parallel()
	s := NewScenario(t, "wffc-allowed", ProfileDefault)
	s.StartProvisioner()
	s.CreateCSIDriver()
	nodes := s.CreateNodes("zone-a", "zone-b", "zone-c")
	zoneB := nodes[1].Name
	class := s.CreateStorageClass("zone-b", func(w *tt.StorageClassWrapper) {
		w.AllowedTopology(corev1.LabelTopologyZone, "zone-b")
	})
	const pods = 2
	for i := range pods {
		s.CreateClaim(fmt.Sprintf("data-%d", i), class.Name, "5Gi")
	}
	s.SyncVolplace()
	for i := range pods {
		pod := s.CreatePod(fmt.Sprintf("app-%d", i), fmt.Sprintf("data-%d", i))
		if node := s.WaitScheduled(pod); node != zoneB {
			t.Errorf("pod %s landed on %s, want %s (zone-b)\n%s", pod.Name, node, zoneB, s.Describe(pod))
		}
		s.expectProvisionedFor(fmt.Sprintf("data-%d", i), zoneB, "zone-b")
	}
}

// With storageCapacity on, a 50Gi claim cannot be provisioned in zone-a
// (10Gi free) nor zone-c (no CSIStorageCapacity at all): it goes to zone-b
// (100Gi). A 200Gi claim fits nowhere.
func TestStorageCapacity(t *testing.T) {
	t.Parallel()
	s := NewScenario(t, "capacity", ProfileDefault)
	s.StartProvisioner()
	s.CreateCSIDriver(func(d *storagev1.CSIDriver) { d.Spec.StorageCapacity = ptr.To(true) })
	nodes := s.CreateNodes("zone-a", "zone-c", "zone-b")
	zoneB := nodes[2].Name
	class := s.CreateStorageClass("fast")
	s.CreateCapacity(class.Name, "zone-a", "10Gi")
	s.CreateCapacity(class.Name, "zone-b", "100Gi")
	s.CreateClaim("data", class.Name, "50Gi")
	s.CreateClaim("huge", class.Name, "200Gi")
	s.SyncVolplace()

	pod := s.CreatePod("app", "data")
	if node := s.WaitScheduled(pod); node != zoneB {
		t.Errorf("pod %s landed on %s, want %s (zone-b)\n%s", pod.Name, node, zoneB, s.Describe(pod))
	}
	s.expectProvisionedFor("data", zoneB, "zone-b")

	huge := s.CreatePod("huge", "huge")
	s.WaitUnschedulable(huge, topology.ErrReasonNotEnoughSpace)
	claim, err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Get(s.ctx(), "huge", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sel, ok := claim.Annotations[annSelectedNode]; ok {
		t.Errorf("claim huge has %s=%s, want no selected node", annSelectedNode, sel)
	}
}

// expectProvisionedFor checks that a claim was provisioned for a node: its
// selected-node annotation names the node and its PV is bound and confined
// to the node's zone.
func (s *Scenario) expectProvisionedFor(claim, node, zone string) {
	s.T.Helper()
	pvc, err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Get(s.ctx(), claim, metav1.GetOptions{})
	if err != nil {
		s.T.Fatalf("getting claim %s: %v", claim, err)
	}
	if got := pvc.Annotations[annSelectedNode]; got != node {
		s.T.Errorf("claim %s: %s=%q, want %q", claim, annSelectedNode, got, node)
	}
	if pvc.Spec.VolumeName == "" || pvc.Status.Phase != corev1.ClaimBound {
		s.T.Fatalf("claim %s is not bound: volumeName %q, phase %s", claim, pvc.Spec.VolumeName, pvc.Status.Phase)
	}
	pv, err := s.F.Client.CoreV1().PersistentVolumes().Get(s.ctx(), pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		s.T.Fatalf("getting PV %s of claim %s: %v", pvc.Spec.VolumeName, claim, err)
	}
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if got := terms[0].MatchExpressions[0].Values; len(got) != 1 || got[0] != zone {
		s.T.Errorf("PV %s of claim %s is confined to %v, want [%s]", pv.Name, claim, got, zone)
	}
}
