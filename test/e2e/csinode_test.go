package e2e

import (
	"fmt"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// A node whose CSINode does not register the driver of a pod's bound CSI
// volume cannot mount it: every pod goes to the node that has the driver.
// kube-scheduler checks this only behind the alpha VolumeLimitScaling gate,
// so under the default profile too it is volplace that decides.
func TestCSINodeWithoutDriver(t *testing.T) {
	t.Parallel()
	underBothProfiles(t, "csinode", func(s *Scenario) Placement {
		without := s.CreateNode("n1", "zone-a")
		with := s.CreateNode("n2", "zone-a")
		s.CreateCSINode(without.Name, storagev1.CSINodeDriver{Name: "other." + s.Driver, NodeID: without.Name})
		s.CreateCSINode(with.Name, s.DriverOn(with.Name, 0))
		const pods = 4
		for i := range pods {
			s.CreateBoundClaim(fmt.Sprintf("data-%d", i))
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
