package e2e

import (
	"fmt"
	"testing"

	"github.com/volplace/volplace/topology"
)

// n1 allows one volume of the driver and already runs a pod with one, so
// new pods go to n2, which allows four; once n2 is full too, the next pod
// stays Pending. Pods are created one at a time: neither volplace nor a
// scheduler restart can count a pod kube-scheduler has only assumed.
func TestAttachLimit(t *testing.T) {
	t.Parallel()
	underBothProfiles(t, "attach-limit", func(s *Scenario) Placement {
		full := s.CreateNode("n1", "zone-a")
		free := s.CreateNode("n2", "zone-a")
		s.CreateCSINode(full.Name, s.DriverOn(full.Name, 1))
		s.CreateCSINode(free.Name, s.DriverOn(free.Name, 4))
		s.CreateBoundClaim("used")
		s.CreateRunningPod("running", full.Name, "used")
		const pods = 5
		for i := range pods {
			s.CreateBoundClaim(fmt.Sprintf("data-%d", i))
		}
		got, want := Placement{}, Placement{}
		for i := range pods {
			s.SyncVolplace()
			pod := s.CreatePod(fmt.Sprintf("app-%d", i), fmt.Sprintf("data-%d", i))
			if i < 4 {
				got[pod.Name] = s.Short(s.WaitScheduled(pod))
				want[pod.Name] = "n2"
				continue
			}
			s.WaitUnschedulable(pod, topology.ErrReasonMaxVolumeCountExceeded)
			got[pod.Name] = pending(topology.ErrReasonMaxVolumeCountExceeded)
			want[pod.Name] = got[pod.Name]
		}
		expectPlacement(s, want, got)
		return got
	})
}
