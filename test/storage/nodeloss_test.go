package storage

import (
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
)

// lostNode is the node TestNodeLoss deletes; no other scenario uses it.
var lostNode = harness.NodeSpec{Name: "lost-1", Zone: "zone-b"}

// TestNodeLoss deletes a node while a WaitForFirstConsumer claim carries
// volume.kubernetes.io/selected-node for it. The node's storage goes with
// it: its external-provisioner (node deployment) is stopped first, so the
// claim is never provisioned. What follows is logged: kube-scheduler fails
// the binding, the garbage collector removes the node's CSINode, nobody
// clears the annotation, and the pod stays Pending. volplace must say why,
// naming the gone node.
func TestNodeLoss(t *testing.T) {
	s := e2e.NewScenario(t, "lost", e2e.ProfileDefault)
	ctx := t.Context()
	if _, err := harness.CreateNode(ctx, fw.Client, lostNode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fw.Client.CoreV1().Nodes().Delete(ctx, lostNode.Name, metav1.DeleteOptions{}) })
	d := startDriver(s, harness.DriverSpec{Nodes: map[string]harness.DriverNode{
		lostNode.Name: {Zone: lostNode.Zone, Capacity: 10 * gi},
	}})
	class := driverClass(s, d)
	for _, p := range d.Processes() {
		if strings.HasSuffix(p.Name, "-"+lostNode.Name) {
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
	claim := s.CreateClaim("data", class.Name, "1Gi")
	pod := createPod(s, "app", claim.Name)
	poll(t, placeTimeout, "kube-scheduler to select "+lostNode.Name+" for the claim", func() (bool, error) {
		c, err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
		return err == nil && c.Annotations[topology.AnnSelectedNode] == lostNode.Name, err
	})

	lost := time.Now()
	if err := fw.Client.CoreV1().Nodes().Delete(ctx, lostNode.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, placeTimeout, "the garbage collector to delete the CSINode of "+lostNode.Name, func() (bool, error) {
		_, err := fw.Client.StorageV1().CSINodes().Get(ctx, lostNode.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	t.Logf("CSINode %s deleted by the garbage collector %v after its Node", lostNode.Name, time.Since(lost).Round(100*time.Millisecond))

	// volplace names the gone node, on every node, as unresolvable.
	var nodes []string
	for _, n := range suiteNodes {
		nodes = append(nodes, n.Name)
	}
	// The reason names the claim: "... to bind (data)".
	want := "unresolvable: " + topology.ErrReasonBindConflict + " (" + claim.Name + ")"
	var verdicts map[string]string
	err := harness.Poll(ctx, placeTimeout, func() (bool, error) {
		var err error
		if verdicts, err = liveVerdicts(ctx, pod, nodes); err != nil {
			return false, err
		}
		for _, n := range nodes {
			if verdicts[n] != want {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("volplace's verdicts on %s: %v, want %q on every node: %v", pod.Name, verdicts, want, err)
	}
	explained := s.Explain(pod, "table")
	if want := "provisioning was already started for node " + lostNode.Name + ", which no longer exists"; !strings.Contains(explained, want) {
		t.Errorf("volplace explain does not say %q:\n%s", want, explained)
	}

	// What kube-scheduler and external-provisioner do meanwhile.
	time.Sleep(settleFor)
	p, err := fw.Client.CoreV1().Pods(s.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "" {
		t.Errorf("pod %s bound to %s", pod.Name, p.Spec.NodeName)
	}
	c, err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v after the node's loss: pod %s Pending; claim %s %s, selected-node %q; FailedScheduling %q; kube-scheduler logged:\n%s",
		time.Since(lost).Round(100*time.Millisecond), pod.Name, claim.Name, c.Status.Phase, c.Annotations[topology.AnnSelectedNode],
		failedScheduling(s, p), fw.SchedulerLogAbout(s.Namespace+"/"+pod.Name, 6))
}
