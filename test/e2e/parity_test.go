package e2e

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
)

// For the rules kube-scheduler and volplace both implement, bound PV node
// affinity and CSI attach limits, the same objects give the same placement
// whether VolumeBinding and NodeVolumeLimits run (default-scheduler) or
// volplace alone decides (volplace-only). Each pod fits exactly one node or
// none, so scoring cannot make the profiles differ.
func TestProfileParity(t *testing.T) {
	t.Parallel()
	zone := func(op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: op, Values: values}
	}
	host := func(op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: corev1.LabelHostname, Operator: op, Values: values}
	}
	underBothProfiles(t, "parity", func(s *Scenario) Placement {
		n1, n2, n3 := s.NodeName("n1"), s.NodeName("n2"), s.NodeName("n3")
		affinity := func(terms ...[]corev1.NodeSelectorRequirement) func(*tt.PVWrapper) {
			return func(pv *tt.PVWrapper) {
				for _, exprs := range terms {
					pv.NodeAffinityTerm(corev1.NodeSelectorTerm{MatchExpressions: exprs})
				}
			}
		}
		// n1 in zone-a allows 4 volumes; n2 and n3 in zone-b allow 1 and
		// 4, and n2 already has one.
		for _, n := range []struct {
			name, zone string
			limit      int32
		}{{"n1", "zone-a", 4}, {"n2", "zone-b", 1}, {"n3", "zone-b", 4}} {
			node := s.CreateNode(n.name, n.zone)
			s.CreateCSINode(node.Name, s.DriverOn(node.Name, n.limit))
		}
		s.CreateBoundClaim("used")
		s.CreateRunningPod("running", n2, "used")

		s.CreateBoundClaim("zone-a", affinity([]corev1.NodeSelectorRequirement{zone(corev1.NodeSelectorOpIn, "zone-a")}))
		s.CreateBoundClaim("zone-b", affinity([]corev1.NodeSelectorRequirement{zone(corev1.NodeSelectorOpIn, "zone-b")}))
		s.CreateBoundClaim("x-or-n3", affinity(
			[]corev1.NodeSelectorRequirement{zone(corev1.NodeSelectorOpIn, "zone-x")},
			[]corev1.NodeSelectorRequirement{host(corev1.NodeSelectorOpIn, n3)},
		))
		s.CreateBoundClaim("a-or-b", affinity([]corev1.NodeSelectorRequirement{zone(corev1.NodeSelectorOpIn, "zone-a", "zone-b")}))
		s.CreateBoundClaim("not-n3", affinity([]corev1.NodeSelectorRequirement{host(corev1.NodeSelectorOpNotIn, n3)}))
		s.CreateBoundClaim("b-and-n1-or-n2", affinity([]corev1.NodeSelectorRequirement{
			zone(corev1.NodeSelectorOpIn, "zone-b"), host(corev1.NodeSelectorOpIn, n1, n2),
		}))
		s.CreateBoundClaim("nowhere", affinity([]corev1.NodeSelectorRequirement{zone(corev1.NodeSelectorOpIn, "zone-x")}))
		s.SyncVolplace()

		pods := []struct {
			name   string
			claims []string
			want   string
		}{
			{"zone-a", []string{"zone-a"}, "n1"},
			// n2 is full.
			{"zone-b", []string{"zone-b"}, "n3"},
			{"x-or-n3", []string{"x-or-n3"}, "n3"},
			// {n1, n2} and n2 is full.
			{"two-claims", []string{"a-or-b", "not-n3"}, "n1"},
			// Only n2, which is full.
			{"only-full-n2", []string{"b-and-n1-or-n2"}, pending(topology.ErrReasonMaxVolumeCountExceeded)},
			{"nowhere", []string{"nowhere"}, pending(topology.ErrReasonNodeConflict)},
		}
		// The pods are created at once: the nodes they fit keep room for
		// all of them, so that volplace not seeing pods kube-scheduler has
		// assumed but not bound yet cannot matter.
		created := make([]*corev1.Pod, len(pods))
		for i, p := range pods {
			created[i] = s.CreatePod(p.name, p.claims...)
		}
		got, want := Placement{}, Placement{}
		for i, p := range pods {
			want[p.name] = p.want
			if p.want == "n1" || p.want == "n3" {
				got[p.name] = s.Short(s.WaitScheduled(created[i]))
				continue
			}
			reason := p.want[len(pending("")):]
			msg := s.WaitUnschedulable(created[i], reason)
			s.logf("%s: FailedScheduling: %s", p.name, msg)
			got[p.name] = pending(reason)
		}
		expectPlacement(s, want, got)
		return got
	})
}
