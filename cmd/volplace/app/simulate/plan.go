package simulate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// Placement is where the planner put one pod, or why it could not.
type Placement struct {
	// Pod is namespace/name.
	Pod string `json:"pod"`
	// Node is where the pod lands, "" when no node fits.
	Node  string `json:"node,omitempty"`
	Score int64  `json:"score,omitempty"`
	// Summary is kube-scheduler's FailedScheduling line for a pod that
	// does not fit.
	Summary string `json:"summary,omitempty"`
	// Details are, for a pod that does not fit, each node's reasons with
	// their figures.
	Details map[string][]string `json:"details,omitempty"`
	// Evaluation is the pod's evaluation on every node at its turn, after
	// the pods before it were placed.
	Evaluation *PodReport `json:"evaluation"`
}

// Fits reports whether the pod found a node.
func (p *Placement) Fits() bool { return p.Node != "" }

// PlanReport is the outcome of placing the pending pods one after another.
type PlanReport struct {
	Placements []Placement `json:"placements"`
	// Placed and Unplaced count the pods.
	Placed   int `json:"placed"`
	Unplaced int `json:"unplaced"`
	// FirstUnplaced is the first pod in queue order that does not fit.
	FirstUnplaced string `json:"firstUnplaced,omitempty"`
}

// Plan places the pending pods of the objects one after another, in
// kube-scheduler's queue order (higher priority first, then older first),
// each on its best-scoring feasible node (of equal scores, the first by
// name; kube-scheduler picks one at random and adds its other plugins'
// scores). Each placement takes what kube-scheduler's binding would:
// the node's attach slots, its storage capacity (the claims to provision
// are given the node as their selected node), static PVs it binds, and
// single-node access to its volumes. The objects are not changed.
// progress shows which pod a long plan has come to.
func Plan(objs []runtime.Object, opts topology.Options, now time.Time, progress *Progress) (*PlanReport, error) {
	state := newObjectSet(objs)
	snap, err := store.NewStatic(state.list()...)
	if err != nil {
		return nil, err
	}
	pending, err := PendingPods(snap, "", "")
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(pending, queueOrder)
	report := &PlanReport{Placements: []Placement{}}
	for i, p := range pending {
		progress.Update("placing pod %d of %d: %s/%s", i+1, len(pending), p.Namespace, p.Name)
		if i > 0 {
			if snap, err = store.NewStatic(state.list()...); err != nil {
				return nil, err
			}
		}
		ev := topology.NewEvaluator(snap, opts).WithClock(func() time.Time { return now })
		pod := p
		// The pod's claims may have changed with earlier placements.
		eval := Evaluate(ev, pod)
		placement := Placement{Pod: eval.Pod, Evaluation: eval}
		for _, node := range eval.FeasibleNodes {
			if placement.Node == "" || eval.Scores[node] > placement.Score {
				placement.Node, placement.Score = node, eval.Scores[node]
			}
		}
		if placement.Node == "" {
			placement.Summary = eval.Summary
			placement.Details = eval.details()
			report.Unplaced++
			if report.FirstUnplaced == "" {
				report.FirstUnplaced = eval.Pod
			}
			report.Placements = append(report.Placements, placement)
			continue
		}
		changed, err := ev.Assume(ev.Prepare(pod), placement.Node)
		if err != nil {
			return nil, err
		}
		state.replace(changed...)
		report.Placed++
		report.Placements = append(report.Placements, placement)
	}
	return report, nil
}

// queueOrder is kube-scheduler's default queue sort (PrioritySort): higher
// priority first, then the pod that was created first.
func queueOrder(a, b *corev1.Pod) int {
	return cmp.Or(
		cmp.Compare(ptr.Deref(b.Spec.Priority, 0), ptr.Deref(a.Spec.Priority, 0)),
		a.CreationTimestamp.Compare(b.CreationTimestamp.Time),
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Name, b.Name),
	)
}

// details returns each failing node's reasons with their figures.
func (r *PodReport) details() map[string][]string {
	out := map[string][]string{}
	for _, n := range r.Nodes {
		for _, reason := range n.Reasons {
			out[n.Node] = append(out[n.Node], reason.line())
		}
	}
	return out
}

// Summary is the plan's last line: how many pods fit and which is the
// first that does not.
func (r *PlanReport) Summary() string {
	total := r.Placed + r.Unplaced
	if total == 0 {
		return "No pending pods."
	}
	msg := fmt.Sprintf("%d %s: %d placed, %d %s not fit.", total, plural(total, "pod", "pods"), r.Placed, r.Unplaced, plural(r.Unplaced, "does", "do"))
	if r.FirstUnplaced != "" {
		for i, p := range r.Placements {
			if p.Pod == r.FirstUnplaced {
				msg += fmt.Sprintf(" The first that does not, %s (#%d): %s", p.Pod, i+1, p.Summary)
				break
			}
		}
	}
	return msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// objectSet holds objects in their order, replaceable by kind and name.
type objectSet struct {
	objs  []runtime.Object
	index map[string]int
}

func newObjectSet(objs []runtime.Object) *objectSet {
	s := &objectSet{index: map[string]int{}}
	s.replace(objs...)
	return s
}

func objectKey(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return fmt.Sprintf("%T %s/%s", obj, m.GetNamespace(), m.GetName())
}

// replace puts each object in place of the one of the same kind and name,
// or adds it.
func (s *objectSet) replace(objs ...runtime.Object) {
	for _, obj := range objs {
		k := objectKey(obj)
		if i, ok := s.index[k]; ok {
			s.objs[i] = obj
			continue
		}
		s.index[k] = len(s.objs)
		s.objs = append(s.objs, obj)
	}
}

func (s *objectSet) list() []runtime.Object { return s.objs }
