package e2e

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
)

// A ReadWriteOncePod claim serves one pod: the first runs, the second stays
// Pending while the first exists.
func TestReadWriteOncePod(t *testing.T) {
	t.Parallel()
	underBothProfiles(t, "rwop", func(s *Scenario) Placement {
		s.CreateNodes("zone-a", "zone-b")
		s.CreateBoundClaim("shared", func(pv *tt.PVWrapper) { pv.AccessModes(corev1.ReadWriteOncePod) })
		s.SyncVolplace()
		first := s.CreatePod("first", "shared")
		s.WaitScheduled(first)
		s.SyncVolplace() // volplace must know the first pod holds the claim

		second := s.CreatePod("second", "shared")
		msg := s.WaitUnschedulable(second, "ReadWriteOncePod")
		s.logf("FailedScheduling: %s", msg)
		if s.Profile == ProfileVolplaceOnly {
			// Only volplace names the claim after its reason.
			if want := topology.ErrReasonReadWriteOncePodConflict + " (shared)"; !contains(msg, want) {
				t.Errorf("event %q lacks volplace's reason %q", msg, want)
			}
		}
		return Placement{second.Name: pending(topology.ErrReasonReadWriteOncePodConflict)}
	})
}

// A ReadWriteOnce CSI volume attached to one node (a VolumeAttachment), or
// in use by a running pod there, can only be used on that node: anywhere
// else the pod would hang on a Multi-Attach error. Only volplace has this
// rule; both profiles call it.
func TestReadWriteOnceGuard(t *testing.T) {
	t.Parallel()
	underBothProfiles(t, "rwo-guard", func(s *Scenario) Placement {
		nodes := s.CreateNodes("zone-a", "zone-a", "zone-b", "zone-b")
		attached := s.CreateBoundClaim("attached")
		s.CreateAttachment(attached.Spec.VolumeName, nodes[2].Name)
		attachedToo := s.CreateBoundClaim("attached-too")
		s.CreateAttachment(attachedToo.Spec.VolumeName, nodes[1].Name)
		s.CreateBoundClaim("in-use")
		s.CreateRunningPod("running", nodes[3].Name, "in-use")
		s.SyncVolplace()

		got := Placement{}
		for pod, claim := range map[string]string{"app-attached": "attached", "app-attached-too": "attached-too", "app-in-use": "in-use"} {
			got[pod] = s.Short(s.WaitScheduled(s.CreatePod(pod, claim)))
		}
		expectPlacement(s, Placement{"app-attached": "n3", "app-attached-too": "n2", "app-in-use": "n4"}, got)
		return got
	})
}

// When the node the volume is attached to is cordoned, the pod waits for it
// rather than going elsewhere.
func TestReadWriteOnceGuardCordoned(t *testing.T) {
	t.Parallel()
	s := NewScenario(t, "rwo-guard-cordoned", ProfileDefault)
	nodes := s.CreateNodes("zone-a", "zone-a", "zone-b", "zone-b")
	claim := s.CreateBoundClaim("attached")
	s.CreateAttachment(claim.Spec.VolumeName, nodes[2].Name)
	s.Cordon(nodes[2].Name)
	s.SyncVolplace()
	pod := s.CreatePod("app", "attached")
	msg := s.WaitUnschedulable(pod, topology.ErrReasonReadWriteOnceConflict)
	s.logf("FailedScheduling: %s", msg)
}
