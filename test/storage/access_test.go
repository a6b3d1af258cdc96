package storage

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// zonalNodes: a zonal driver that attaches, on the two nodes of zone-a.
var zonalNodes = map[string]harness.DriverNode{
	"zone-a-1": {Zone: "zone-a", Capacity: 100 * gi, MaxVolumes: 8},
	"zone-a-2": {Zone: "zone-a", Capacity: 100 * gi, MaxVolumes: 8},
}

// TestReadWriteOnce runs against the real attach-detach controller a
// ReadWriteOnce claim of a zonal driver, which either node of its zone
// could attach, but only one at a time. Once a first pod has it attached on
// one node, volplace keeps a second pod of the claim on that node, so no
// Multi-Attach error follows. kube-scheduler's in-tree plugins, which have no
// such rule, run the same scenario side by side; where their second pod
// lands is logged.
func TestReadWriteOnce(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	t.Run("profiles", func(t *testing.T) {
		for _, profile := range []string{e2e.ProfileDefault, e2e.ProfileInTree} {
			t.Run(profile, func(t *testing.T) {
				t.Parallel()
				tag := map[string]string{e2e.ProfileDefault: "vp", e2e.ProfileInTree: "it"}[profile]
				s := e2e.NewScenario(t, "rwo-"+tag, profile)
				outcome := runReadWriteOnce(s)
				mu.Lock()
				got[profile] = outcome
				mu.Unlock()
			})
		}
	})
	for profile, outcome := range got {
		t.Logf("%s: %s", profile, outcome)
	}
}

func runReadWriteOnce(s *e2e.Scenario) string {
	t := s.T
	ctx := t.Context()
	d := startDriver(s, harness.DriverSpec{Attach: true, Zonal: true, Nodes: zonalNodes})
	class := driverClass(s, d)
	claim := s.CreateClaim("shared", class.Name, "1Gi")
	first := createPod(s, "first", claim.Name)
	var st *state
	poll(t, placeTimeout, "the first pod placed with its volume attached", func() (bool, error) {
		var err error
		st, err = readState(ctx, s)
		return err == nil && st.placed(podNamed(st, first.Name), true), err
	})
	node := podNamed(st, first.Name).Spec.NodeName

	second := createPod(s, "second", claim.Name)
	poll(t, placeTimeout, "the second pod placed", func() (bool, error) {
		var err error
		st, err = readState(ctx, s)
		return err == nil && podNamed(st, second.Name).Spec.NodeName != "", err
	})
	secondNode := podNamed(st, second.Name).Spec.NodeName
	// Give the attach-detach controller time to try the second node.
	poll(t, placeTimeout, "the attach-detach controller to act on the second pod", func() (bool, error) {
		events, err := eventsOf(s, "FailedAttachVolume")
		if err != nil || len(events) > 0 {
			return true, err
		}
		st, err = readState(ctx, s)
		return err == nil && st.placed(podNamed(st, second.Name), true), err
	})
	failed, err := eventsOf(s, "FailedAttachVolume")
	if err != nil {
		t.Fatal(err)
	}
	multiAttach := 0
	for _, e := range failed {
		if strings.Contains(e.Message, "Multi-Attach") {
			multiAttach++
		}
	}
	if s.Profile == e2e.ProfileDefault {
		if secondNode != node {
			t.Errorf("second pod of ReadWriteOnce claim %s on %s, the first has it attached on %s", claim.Name, secondNode, node)
		}
		for _, e := range failed {
			t.Errorf("FailedAttachVolume: %s: %s", e.InvolvedObject.Name, e.Message)
		}
		checkConsistent(t, st)
	}
	return "first pod on " + node + ", second on " + secondNode + ", Multi-Attach events: " + strconv.Itoa(multiAttach)
}

// TestReadWriteOncePod: a second pod of a ReadWriteOncePod claim in use
// stays Pending, with kube-scheduler's reason, while the first keeps its
// volume.
func TestReadWriteOncePod(t *testing.T) {
	s := e2e.NewScenario(t, "rwop", e2e.ProfileDefault)
	ctx := t.Context()
	d := startDriver(s, harness.DriverSpec{Attach: true, Zonal: true, Nodes: zonalNodes})
	class := driverClass(s, d)
	claim := s.CreateClaim("single", class.Name, "1Gi", corev1.ReadWriteOncePod)
	owner := createPod(s, "owner", claim.Name)
	var st *state
	poll(t, placeTimeout, "the owner placed with its volume attached", func() (bool, error) {
		var err error
		st, err = readState(ctx, s)
		return err == nil && st.placed(podNamed(st, owner.Name), true), err
	})
	intruder := createPod(s, "intruder", claim.Name)
	s.WaitUnschedulable(intruder, "ReadWriteOncePod")
	if st, err := readState(ctx, s); err != nil {
		t.Fatal(err)
	} else {
		checkConsistent(t, st)
	}
}
