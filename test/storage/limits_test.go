package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// TestAttachLimits: the driver reports an attach limit of 2 in NodeGetInfo,
// kubelet's registration turns it into the CSINode's allocatable count, and
// five single-volume pods go to two such nodes. Four are placed, two per
// node, every volume attached; the fifth stays Pending with the limit as
// its reason, so none waits on a node for an attach slot.
func TestAttachLimits(t *testing.T) {
	s := e2e.NewScenario(t, "limits", e2e.ProfileDefault)
	ctx := t.Context()
	d := startDriver(s, harness.DriverSpec{Attach: true, Nodes: map[string]harness.DriverNode{
		"zone-a-1": {Zone: "zone-a", Capacity: 100 * gi, MaxVolumes: 2},
		"zone-a-2": {Zone: "zone-a", Capacity: 100 * gi, MaxVolumes: 2},
	}})
	class := driverClass(s, d)
	for i := range 5 {
		claim := s.CreateClaim(fmt.Sprintf("data-%d", i), class.Name, "1Gi")
		createPod(s, fmt.Sprintf("app-%d", i), claim.Name)
	}
	var st *state
	poll(t, placeTimeout, "4 pods placed with attached volumes and 1 Pending", func() (bool, error) {
		var err error
		if st, err = readState(ctx, s); err != nil {
			return false, err
		}
		placed, pending := st.summary(true)
		return len(placed) == 4 && len(pending) == 1 && failedScheduling(s, podNamed(st, pending[0])) != "", nil
	})
	time.Sleep(settleFor)
	if st, _ = readState(ctx, s); st == nil {
		t.Fatal("reading the scenario's objects")
	}
	checkConsistent(t, st)
	perNode := map[string]int{}
	for _, va := range st.attachd {
		perNode[va.Spec.NodeName]++
		if va.Status.AttachError != nil {
			t.Errorf("VolumeAttachment %s: attach error %q", va.Name, va.Status.AttachError.Message)
		}
	}
	for node, n := range perNode {
		if n > 2 {
			t.Errorf("node %s has %d volumes attached, limit 2", node, n)
		}
	}
	placed, pending := st.summary(true)
	if len(placed) != 4 || len(pending) != 1 {
		t.Fatalf("placed %s; pending %s; want 4 placed, 1 pending", join(placed), join(pending))
	}
	msg := failedScheduling(s, podNamed(st, pending[0]))
	if !strings.Contains(msg, "exceed max volume count") {
		t.Errorf("pending %s: FailedScheduling %q does not name the attach limit", pending[0], msg)
	}
	failed, err := eventsOf(s, "FailedAttachVolume")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range failed {
		t.Errorf("FailedAttachVolume: %s: %s", e.InvolvedObject.Name, e.Message)
	}
}

// eventsOf lists the events of a reason in the scenario's namespace.
func eventsOf(s *e2e.Scenario, reason string) ([]corev1.Event, error) {
	list, err := fw.Client.CoreV1().Events(s.Namespace).List(s.T.Context(), metav1.ListOptions{FieldSelector: "reason=" + reason})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}
