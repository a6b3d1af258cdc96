package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	tt "github.com/volplace/volplace/topology/testing"
)

// explainReport is the JSON of `volplace explain -o json`, one element.
type explainReport struct {
	Pod               string            `json:"pod"`
	FeasibleNodes     []string          `json:"feasibleNodes"`
	FailedNodes       map[string]string `json:"failedNodes"`
	UnresolvableNodes map[string]string `json:"unresolvableNodes"`
	Scores            map[string]int64  `json:"scores"`
}

// expectExplained checks `volplace explain` on a pending pod: in the
// table, the pod's line, a row per node of the scenario with the reason,
// and a summary with no node available; in the JSON, the pod, and the
// nodes as unresolvable for the reason. Other scenarios' nodes, which
// explain lists too, are not checked.
func (s *Scenario) expectExplained(pod *corev1.Pod, nodes []*corev1.Node, reason string) {
	s.T.Helper()
	table := s.Explain(pod, "table")
	s.logf("volplace explain %s/%s:\n%s", pod.Namespace, pod.Name, table)
	want := []string{`Pod ` + regexp.QuoteMeta(pod.Namespace+"/"+pod.Name), `NODE\s+FITS\s+SCORE\s+REASONS`}
	for _, n := range nodes {
		want = append(want, regexp.QuoteMeta(n.Name)+`\s+no\s+-\s+`+regexp.QuoteMeta(reason))
	}
	want = append(want, `0/\d+ nodes are available: (.*, )?(\d+ )?`+regexp.QuoteMeta(reason)+`(, .*)?\.`)
	for _, line := range want {
		if !regexp.MustCompile(`(?m)^` + line + `$`).MatchString(table) {
			s.T.Errorf("volplace explain (table) has no line matching\n  %s\nin:\n%s", line, table)
		}
	}

	raw := s.Explain(pod, "json")
	var reports []explainReport
	if err := json.Unmarshal([]byte(raw), &reports); err != nil {
		s.T.Fatalf("volplace explain -o json: %v\n%s", err, raw)
	}
	if len(reports) != 1 {
		s.T.Fatalf("volplace explain -o json: %d reports, want 1:\n%s", len(reports), raw)
	}
	r := reports[0]
	if want := pod.Namespace + "/" + pod.Name; r.Pod != want {
		s.T.Errorf("volplace explain -o json: pod %q, want %q", r.Pod, want)
	}
	if len(r.FeasibleNodes) > 0 {
		s.T.Errorf("volplace explain -o json: feasible nodes %v, want none", r.FeasibleNodes)
	}
	for _, n := range nodes {
		if got := r.UnresolvableNodes[n.Name]; got != reason {
			s.T.Errorf("volplace explain -o json: unresolvableNodes[%s] = %q, want %q", n.Name, got, reason)
		}
	}
}

// `volplace explain` tells why a pending pod fits no node, with the reason
// kube-scheduler reported through volplace.
func TestExplain(t *testing.T) {
	t.Parallel()
	t.Run("bound PV in a zone no node has", func(t *testing.T) {
		t.Parallel()
		s := NewScenario(t, "explain-zone", ProfileVolplaceOnly)
		nodes := s.CreateNodes("zone-a", "zone-b")
		// No node of the cluster, any scenario's, is in this zone.
		claim := s.CreateBoundClaim("data", func(pv *tt.PVWrapper) {
			pv.NodeAffinityIn(corev1.LabelTopologyZone, "zone-explain-nowhere")
		})
		s.SyncVolplace()
		pod := s.CreatePod("app", "data")
		reason := fmt.Sprintf("%s (%s)", topology.ErrReasonNodeConflict, claim.Spec.VolumeName)
		msg := s.WaitUnschedulable(pod, topology.ErrReasonNodeConflict)
		if !contains(msg, reason) {
			t.Errorf("FailedScheduling event %q lacks %q", msg, reason)
		}
		s.expectExplained(pod, nodes, reason)
	})

	t.Run("missing claim", func(t *testing.T) {
		t.Parallel()
		s := NewScenario(t, "explain-missing", ProfileDefault)
		nodes := s.CreateNodes("zone-a", "zone-b")
		s.SyncVolplace()
		pod := s.CreatePod("app", "missing")
		reason := `persistentvolumeclaim "missing" not found`
		s.WaitUnschedulable(pod, reason)
		s.expectExplained(pod, nodes, reason)
	})
}
