package faults

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
)

// Bounds of the waits. The reconnection bound is client-go's: a reflector
// that cannot reach kube-apiserver backs off up to 30 s between attempts.
const (
	reconnectTimeout = 30 * time.Second
	bindTimeout      = 30 * time.Second
)

// runVolplace starts a volplace for the test and stops it when the test
// ends, expecting a clean exit unless the test killed it.
func runVolplace(t *testing.T, conn volplaceConnection) *volplace {
	t.Helper()
	v, err := su.startVolplace(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := v.stop(stopTimeout); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			su.keep.Store(true)
			t.Logf("%s log tail (all of it in %s):\n%s", v.name, v.log, v.tail(15, ""))
		}
	})
	return v
}

// mustReady waits for the volplace's /readyz and returns how long it took.
func mustReady(t *testing.T, v *volplace) time.Duration {
	t.Helper()
	took, err := v.waitReady(t.Context(), readyTimeout)
	if err != nil {
		t.Fatalf("%s not ready after %v: %v", v.name, readyTimeout, err)
	}
	return took
}

// waitVerdicts polls volplace's filter answer for the pod on the nodes until
// its verdicts are want, and returns how long that took.
func waitVerdicts(t *testing.T, v *volplace, pod *corev1.Pod, nodes, want []string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got []string
	var lastErr error
	err := harness.Poll(t.Context(), timeout, func() (bool, error) {
		var r *extenderv1.ExtenderFilterResult
		r, lastErr = v.filter(t.Context(), pod, nodes)
		if r != nil {
			got = verdicts(r)
		}
		return lastErr == nil && slices.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("volplace's filter verdicts for %s/%s did not become the expected ones within %v (-want +got):\n%s(last error: %v)",
			pod.Namespace, pod.Name, timeout, cmp.Diff(want, got), lastErr)
	}
	return time.Since(start)
}

// cutScenario is a pod for filter requests and two nodes that volplace
// rejects for it until the cluster changes: n1 allows one volume of the
// driver and a VolumeAttachment of another volume holds it; n2 has no
// CSINode. Deleting the attachment frees n1, creating n2's CSINode
// registers the driver there.
type cutScenario struct {
	*e2e.Scenario
	pod        *corev1.Pod
	nodes      []string
	attachment string
}

// newCutScenario creates the scenario's objects; call it from the test's
// own goroutine, not a subtest's.
func newCutScenario(t *testing.T, name string) *cutScenario {
	t.Helper()
	s := e2e.NewScenario(t, name, profileRequired)
	full := s.CreateNode("n1", "zone-a")
	bare := s.CreateNode("n2", "zone-a")
	s.CreateCSINode(full.Name, s.DriverOn(full.Name, 1))
	s.CreateBoundClaim("attached")
	va := s.CreateAttachment(s.Name+"-attached", full.Name)
	s.CreateBoundClaim("data")
	return &cutScenario{
		Scenario:   s,
		pod:        tt.MakePod("probe").Namespace(s.Namespace).PVC("data").Obj(),
		nodes:      []string{full.Name, bare.Name},
		attachment: va.Name,
	}
}

// verdicts returns the filter verdicts expected for the pod, with or
// without n1's attachment and n2's CSINode.
func (c *cutScenario) verdicts(attached, registered bool) []string {
	n1, n2 := c.nodes[0]+": fits", c.nodes[1]+": fits"
	if attached {
		n1 = c.nodes[0] + ": " + topology.ErrReasonMaxVolumeCountExceeded + " (" + c.Driver + ")"
	}
	if !registered {
		// NodeVolumeLimits' wording (docs/rules.md).
		n2 = c.nodes[1] + ": " + c.Driver + " CSI driver is not installed on the node"
	}
	return []string{n1, n2}
}

// register creates n2's CSINode with the driver, straight through the API.
func (c *cutScenario) register(ctx context.Context) error {
	csiNode := tt.MakeCSINode(c.nodes[1]).Obj()
	csiNode.Spec.Drivers = []storagev1.CSINodeDriver{c.DriverOn(c.nodes[1], 0)}
	if _, err := su.client.StorageV1().CSINodes().Create(ctx, csiNode, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating CSINode %s: %w", csiNode.Name, err)
	}
	return nil
}

// change frees n1 (detach) and registers the driver on n2 (register).
func (c *cutScenario) change(t *testing.T) {
	t.Helper()
	if err := c.detach(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.register(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// detach deletes n1's VolumeAttachment, straight through the API.
func (c *cutScenario) detach(ctx context.Context) error {
	if err := su.client.StorageV1().VolumeAttachments().Delete(ctx, c.attachment, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("deleting VolumeAttachment %s: %w", c.attachment, err)
	}
	return nil
}

// key names a pod in the maps of waitBound.
func key(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// waitBound waits until kube-scheduler has bound every pod and returns
// each pod's node by key, and how long the wait took.
func waitBound(t *testing.T, pods []*corev1.Pod, timeout time.Duration) (map[string]string, time.Duration) {
	t.Helper()
	start := time.Now()
	nodes := map[string]string{}
	err := harness.Poll(t.Context(), timeout, func() (bool, error) {
		for _, pod := range pods {
			if nodes[key(pod)] != "" {
				continue
			}
			p, err := su.client.CoreV1().Pods(pod.Namespace).Get(t.Context(), pod.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if p.Spec.NodeName != "" {
				nodes[key(pod)] = p.Spec.NodeName
			}
		}
		return len(nodes) == len(pods), nil
	})
	if err != nil {
		var unbound []string
		for _, pod := range pods {
			if nodes[key(pod)] == "" {
				unbound = append(unbound, key(pod))
			}
		}
		t.Fatalf("%d pod(s) not bound within %v: %v: %v", len(unbound), timeout, unbound, err)
	}
	return nodes, time.Since(start)
}

// waitFits polls volplace's filter answer for the pod until, among nodes,
// exactly want passes.
func waitFits(t *testing.T, v *volplace, pod *corev1.Pod, nodes []string, want string) {
	t.Helper()
	var got []string
	err := harness.Poll(t.Context(), reconnectTimeout, func() (bool, error) {
		got = nil
		if r, err := v.filter(t.Context(), pod, nodes); err == nil && r.Error == "" && r.NodeNames != nil {
			got = *r.NodeNames
		}
		return slices.Equal(got, []string{want}), nil
	})
	if err != nil {
		t.Fatalf("volplace never let pod %s/%s on %s alone among %v (last: %v): %v", pod.Namespace, pod.Name, want, nodes, got, err)
	}
}

// waitEvent waits for a FailedScheduling event of the pod whose message
// contains substr, and returns the message.
func waitEvent(t *testing.T, pod *corev1.Pod, substr string) (string, error) {
	t.Helper()
	var msg string
	var seen []string
	err := harness.Poll(t.Context(), bindTimeout, func() (bool, error) {
		list, err := su.client.CoreV1().Events(pod.Namespace).List(t.Context(), metav1.ListOptions{
			FieldSelector: fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": pod.Name}.String(),
		})
		if err != nil {
			return false, err
		}
		seen = seen[:0]
		for _, e := range list.Items {
			seen = append(seen, e.Reason+": "+e.Message)
			if e.Reason == "FailedScheduling" && strings.Contains(e.Message, substr) {
				msg = e.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("pod %s: no FailedScheduling event containing %q within %v (events: %q): %w", pod.Name, substr, bindTimeout, seen, err)
	}
	return msg, nil
}

// boundNode returns the node the pod is bound to, or "".
func boundNode(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	p, err := su.client.CoreV1().Pods(pod.Namespace).Get(t.Context(), pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting pod %s: %v", pod.Name, err)
	}
	return p.Spec.NodeName
}

// countBound returns how many of the pods are bound.
func countBound(t *testing.T, pods []*corev1.Pod) int {
	t.Helper()
	n := 0
	for _, p := range pods {
		if boundNode(t, p) != "" {
			n++
		}
	}
	return n
}
