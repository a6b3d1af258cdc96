package faults

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// TestAPIServerRestart stops kube-apiserver and starts it again, on the same
// port and certificates, as a control-plane upgrade or a crash does, with
// volplace connected straight to it.
func TestAPIServerRestart(t *testing.T) {
	c := newCutScenario(t, "restart")
	c.CreateBoundClaim("app")
	v := runVolplace(t, direct)
	mustReady(t, v)
	waitVerdicts(t, v, c.pod, c.nodes, c.verdicts(true, false), reconnectTimeout)
	time.Sleep(settleFor)

	start := time.Now()
	if err := su.stopAPIServer(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	stopped := time.Since(start)
	t.Run("volplace stays ready and answers from its cache while kube-apiserver is down", func(t *testing.T) {
		probes := holdStale(t, v, c)
		t.Logf("kube-apiserver stopped in %v; %d probes in %v saw /readyz 200 and the cached verdicts", stopped.Round(time.Millisecond), probes, cutFor)
	})
	start = time.Now()
	if err := su.startAPIServer(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	started := time.Since(start)
	// As soon as kube-apiserver answers: volplace's informers, backing off,
	// may or may not be back yet.
	if err := c.register(t.Context()); err != nil {
		t.Fatal(err)
	}
	registered := time.Now()
	pod := c.CreatePod("app", "app")

	t.Run("informers reconnect: a change made as soon as kube-apiserver is back shows in filter answers", func(t *testing.T) {
		took := waitVerdicts(t, v, c.pod, c.nodes, c.verdicts(true, true), reconnectTimeout)
		t.Logf("kube-apiserver healthy again %v after it was started; the CSINode created then showed in volplace's answers %v later",
			started.Round(time.Millisecond), took.Round(time.Millisecond))
	})
	t.Run("kube-scheduler places a pod on the node only volplace allows after the restart", func(t *testing.T) {
		nodes, _ := waitBound(t, []*corev1.Pod{pod}, bindTimeout)
		if diff := cmp.Diff(c.nodes[1], nodes[key(pod)]); diff != "" {
			t.Errorf("pod %s placed on the wrong node (-want +got):\n%s", pod.Name, diff)
		}
		// kube-scheduler's informers reconnect with client-go's backoff
		// too: the binding waits for its relist of pods.
		t.Logf("pod bound %v after the CSINode was created", time.Since(registered).Round(time.Millisecond))
	})
}
