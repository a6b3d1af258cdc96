package faults

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	tt "github.com/volplace/volplace/topology/testing"
)

// Shape of TestVolplaceKilled.
const (
	// podsPerBatch pods per profile are created just before volplace is
	// killed, as many again while it is down.
	podsPerBatch = 3
	// downFor is how long volplace stays down once the pods created
	// meanwhile have been tried.
	downFor = 3 * time.Second
	// streamGap spaces the first batch's pods, so that volplace dies while
	// kube-scheduler is placing them, some before and some after.
	streamGap = 100 * time.Millisecond
)

var killZones = []string{"zone-a", "zone-b", "zone-c"}

// killScenario is one profile's share of TestVolplaceKilled: three nodes,
// one per zone, and claims data-<i> bound to ReadWriteMany PVs of zone
// i%3 (no in-flight reservation, so filter probes cannot hold the pods
// back), plus one ReadWriteOnce claim, shared, without node affinity, that
// two pods use.
type killScenario struct {
	*e2e.Scenario
	pods []*corev1.Pod
	// want is each pod's node ("" for the pods of the shared claim, which
	// must share one node).
	want    map[string]string
	created map[string]time.Time
}

func newKillScenario(t *testing.T, profile string) *killScenario {
	t.Helper()
	tag := strings.TrimPrefix(profile, "faults-")
	s := &killScenario{Scenario: e2e.NewScenario(t, "kill-"+tag, profile), want: map[string]string{}, created: map[string]time.Time{}}
	s.CreateNodes(killZones...)
	// First, so that a synced data-<i> implies a synced shared claim.
	s.CreateBoundClaim("shared")
	for i := range 2 * podsPerBatch {
		s.CreateBoundClaim(s.claim(i), func(pv *tt.PVWrapper) {
			pv.AccessModes(corev1.ReadWriteMany).NodeAffinityIn(corev1.LabelTopologyZone, killZones[i%len(killZones)])
		})
	}
	return s
}

func (s *killScenario) claim(i int) string { return fmt.Sprintf("data-%d", i) }

// zoneNode returns the node of the zone of claim data-<i>.
func (s *killScenario) zoneNode(i int) string {
	return s.NodeName(fmt.Sprintf("n%d", i%len(killZones)+1))
}

// waitSynced waits until volplace lets each data-<i> pod on its zone's node
// only: it has every node, CSINode, claim and PV of the scenario.
func (s *killScenario) waitSynced(t *testing.T, v *volplace) {
	t.Helper()
	nodes := []string{s.zoneNode(0), s.zoneNode(1), s.zoneNode(2)}
	for i := range 2 * podsPerBatch {
		probe := tt.MakePod("probe-" + s.claim(i)).Namespace(s.Namespace).PVC(s.claim(i)).Obj()
		waitFits(t, v, probe, nodes, s.zoneNode(i))
	}
}

// create creates the pod <batch>-<i> of claim data-<i>, or of the shared
// claim for i < 0.
func (s *killScenario) create(batch string, i int) {
	name, claim, want := fmt.Sprintf("%s-%d", batch, i), s.claim(i), ""
	if i < 0 {
		name, claim = batch+"-shared", "shared"
	} else {
		want = s.zoneNode(i)
	}
	pod := s.CreatePod(name, claim)
	s.pods = append(s.pods, pod)
	s.want[pod.Name] = want
	s.created[pod.Name] = time.Now()
}

// createBatch creates a batch of pods in every scenario, one pod of each in
// turn, gap apart: those of claims data-<first>... and then those of the
// shared claim.
func createBatch(all []*killScenario, batch string, first int, gap time.Duration) {
	for i := first; i < first+podsPerBatch; i++ {
		for _, s := range all {
			s.create(batch, i)
			time.Sleep(gap)
		}
	}
	for _, s := range all {
		s.create(batch, -1)
		time.Sleep(gap)
	}
}

// batch returns the scenario's pods whose name starts with prefix.
func (s *killScenario) batch(prefix string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range s.pods {
		if strings.HasPrefix(p.Name, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// misplaced returns the pods not on their zone's node, and whether the
// shared claim's pods share a node.
func (s *killScenario) misplaced(nodes map[string]string) (wrong []string, sharedTogether bool) {
	shared := map[string]bool{}
	for _, p := range s.pods {
		switch want, got := s.want[p.Name], nodes[key(p)]; {
		case want == "":
			shared[got] = true
		case got != want:
			wrong = append(wrong, fmt.Sprintf("%s on %s, its volume in %s", p.Name, s.Short(got), s.Short(want)))
		}
	}
	return wrong, len(shared) == 1
}

// TestVolplaceKilled SIGKILLs volplace while both kube-schedulers place a
// stream of pods, creates more pods while it is down, then starts it again.
func TestVolplaceKilled(t *testing.T) {
	ign := newKillScenario(t, profileIgnorable)
	vponly := newKillScenario(t, profileIgnorableVolplaceOnly)
	req := newKillScenario(t, profileRequired)
	all := []*killScenario{ign, vponly, req}
	ignorable := su.schedulers["ignorable"]
	skippedBefore := ignorable.skippedExtender()

	v := runVolplace(t, direct)
	mustReady(t, v)
	for _, s := range all {
		s.waitSynced(t, v)
	}
	// Kill volplace as soon as it has answered kube-scheduler's first filter
	// request of the batch, while kube-scheduler places the others.
	const filtered = `volplace_extender_requests_total{code="200",verb="filter"}`
	probes, err := v.counter(t.Context(), filtered)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	answered := make(chan bool, 1)
	var killedAt time.Time
	go func() {
		defer func() { v.kill(); killedAt = time.Now(); close(answered) }()
		for deadline := time.Now().Add(bindTimeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n, err := v.counter(ctx, filtered); err == nil && n > probes {
				answered <- true
				return
			}
		}
	}()
	createBatch(all, "a", 0, streamGap)
	if !<-answered {
		t.Fatalf("kube-scheduler did not call volplace's filter within %v", bindTimeout)
	}
	<-answered // closed once killed
	var batchA []*corev1.Pod
	for _, s := range all {
		batchA = append(batchA, s.batch("a-")...)
	}
	before := 0
	for _, s := range all {
		for _, p := range s.batch("a-") {
			if s.created[p.Name].Before(killedAt) {
				before++
			}
		}
	}
	t.Logf("volplace killed %v after the first of %d pods was created, %d of them before the kill; %d bound once all were created",
		killedAt.Sub(ign.created["a-0"]).Round(time.Millisecond), len(batchA), before, countBound(t, batchA))
	createBatch(all, "b", podsPerBatch, 0)

	t.Run("ignorable: true: pods keep being scheduled while volplace is down", func(t *testing.T) {
		pods := slices.Concat(ign.pods, vponly.pods)
		nodes, _ := waitBound(t, pods, bindTimeout)
		t.Logf("all %d pods bound %v after volplace was killed", len(pods), time.Since(killedAt).Round(time.Millisecond))
		if skipped := ignorable.skippedExtender() - skippedBefore; skipped == 0 {
			t.Errorf("kube-scheduler never logged skipping the ignorable extender: did it reach volplace after all?")
		} else {
			t.Logf("kube-scheduler skipped volplace %d time(s)", skipped)
		}
		t.Run("default profile: in-tree plugins still enforce PV node affinity", func(t *testing.T) {
			wrong, together := ign.misplaced(nodes)
			if len(wrong) > 0 {
				t.Errorf("pods away from their volume's zone: %v", wrong)
			}
			if !together {
				t.Logf("documented: the pods of one ReadWriteOnce claim were placed on different nodes without volplace (%s, %s): the second would fail with Multi-Attach",
					nodes[ign.Namespace+"/a-shared"], nodes[ign.Namespace+"/b-shared"])
			}
		})
		t.Run("volplace-only profile: nothing checks volumes, pods may land away from their volume", func(t *testing.T) {
			wrong, together := vponly.misplaced(nodes)
			t.Logf("documented: %d of %d zonal pods placed away from their volume's zone while volplace was down: %v; shared claim's pods together: %v",
				len(wrong), 2*podsPerBatch, wrong, together)
		})
	})

	t.Run("ignorable: false: pods wait while volplace is down", func(t *testing.T) {
		url := "http://" + su.addrs.extender + "/filter"
		waiting := req.batch("b-")
		var msg string
		for _, pod := range waiting {
			var err error
			if msg, err = waitEvent(t, pod, url); err != nil {
				t.Fatal(err)
			}
		}
		for deadline := time.Now().Add(downFor); time.Now().Before(deadline); time.Sleep(harness.PollInterval) {
			for _, pod := range waiting {
				if node := boundNode(t, pod); node != "" {
					t.Fatalf("pod %s was bound to %s while volplace was down", pod.Name, node)
				}
			}
		}
		t.Logf("%d pods created after the kill got FailedScheduling naming %s (%q) and stayed Pending for %v more", len(waiting), url, msg, downFor)
	})

	restarted := time.Now()
	v2 := runVolplace(t, direct)
	ready := mustReady(t, v2)
	t.Logf("volplace ready %v after it was started again, %v after the kill", ready.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond))

	var reqNodes map[string]string
	t.Run("ignorable: false: every waiting pod schedules once volplace is back, next to its volume", func(t *testing.T) {
		var took time.Duration
		reqNodes, took = waitBound(t, req.pods, bindTimeout)
		wrong, together := req.misplaced(reqNodes)
		if len(wrong) > 0 {
			t.Errorf("pods away from their volume's zone: %v", wrong)
		}
		if !together {
			t.Errorf("the pods of the ReadWriteOnce claim shared are on different nodes: a-shared on %s, b-shared on %s", reqNodes[req.Namespace+"/a-shared"], reqNodes[req.Namespace+"/b-shared"])
		}
		var longest time.Duration
		for _, p := range req.batch("b-") {
			longest = max(longest, time.Since(req.created[p.Name]))
		}
		t.Logf("all %d pods bound within %v of volplace's restart (%v after it was ready); pods created while it was down waited up to %v in all",
			len(req.pods), time.Since(restarted).Round(time.Millisecond), (took - ready).Round(time.Millisecond), longest.Round(time.Millisecond))
	})
	if reqNodes == nil {
		return
	}
	late := req.CreatePod("late-shared", "shared")

	t.Run("nothing is left half-done", func(t *testing.T) {
		t.Run("volplace agrees with every placement of the required scheduler", func(t *testing.T) {
			for _, p := range req.pods {
				node := reqNodes[key(p)]
				r, err := v2.filter(t.Context(), p, []string{node})
				if err != nil {
					t.Fatal(err)
				}
				if got := verdicts(r); !cmp.Equal(got, []string{node + ": fits"}) {
					t.Errorf("volplace on pod %s's placement: %v", p.Name, got)
				}
			}
		})
		t.Run("no leftover reservation holds back a new pod of the shared claim", func(t *testing.T) {
			nodes, took := waitBound(t, []*corev1.Pod{late}, bindTimeout)
			if shared := reqNodes[req.Namespace+"/a-shared"]; nodes[key(late)] != shared {
				t.Errorf("late-shared placed on %s, away from the claim's other pods on %s", nodes[key(late)], shared)
			}
			t.Logf("late-shared bound %v after creation, next to a-shared and b-shared", took.Round(time.Millisecond))
		})
		t.Run("readyz is true and metrics count the restarted volplace's filter answers", func(t *testing.T) {
			if ok, err := v2.ready(t.Context()); err != nil || !ok {
				t.Errorf("/readyz: ok=%v, err=%v", ok, err)
			}
			n, err := v2.counter(t.Context(), `volplace_extender_requests_total{code="200",verb="filter"}`)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Error("the restarted volplace counted no successful filter request")
			}
			t.Logf("the restarted volplace answered %v filter requests", n)
		})
		t.Run("documented: volplace's verdict on the placements made without it", func(t *testing.T) {
			for _, s := range []*killScenario{ign, vponly} {
				for _, p := range s.pods {
					node := boundNode(t, p)
					r, err := v2.filter(t.Context(), p, []string{node})
					if err != nil {
						t.Fatal(err)
					}
					if got := verdicts(r); !cmp.Equal(got, []string{node + ": fits"}) {
						t.Logf("%s/%s on %s: volplace now says %v", s.Profile, p.Name, s.Short(node), got)
					}
				}
			}
		})
	})
}
