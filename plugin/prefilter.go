package plugin

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
)

// PreFilter prepares the pod once for the cycle. A pod without claims is
// skipped: it fits every node. A pod whose bound PVs pin it to some nodes
// is narrowed to them when one of them fits it: kube-scheduler then
// filters those nodes only. When none of them fits, nothing is narrowed,
// so that every node fails in Filter with its own reason and the pod's
// FailedScheduling event reads as under the extender, rather than
// counting the other nodes as "didn't satisfy plugin(s) [Volplace]".
func (pl *Volplace) PreFilter(ctx context.Context, cs fwk.CycleState, pod *corev1.Pod, nodes []fwk.NodeInfo) (*fwk.PreFilterResult, *fwk.Status) {
	if !topology.HasClaims(pod) {
		return nil, fwk.NewStatus(fwk.Skip)
	}
	if !pl.store.HasSynced() {
		return nil, fwk.AsStatus(errNotSynced)
	}
	ps := pl.ev.Prepare(pod)
	s := &cycleState{pod: ps, inFlight: pl.holds.ExclusiveHeldByOther(ps)}
	cs.Write(stateKey, s)
	if s.inFlight || !pl.ev.Pinned(ps) {
		return nil, nil
	}
	pinned, fits := pl.pinnedNodes(ps, nodes)
	if !fits {
		return nil, nil
	}
	klog.FromContext(ctx).V(5).Info("Pod pinned by its volumes' node affinity", "pod", klog.KObj(pod), "nodes", len(pinned))
	return &fwk.PreFilterResult{NodeNames: pinned}, nil
}

// pinnedNodes returns the names of the nodes the pod's bound volumes pin
// it to, among nodes, and whether the pod fits one of them. It evaluates
// them until one fits: in the common case one.
func (pl *Volplace) pinnedNodes(ps *topology.PodState, nodes []fwk.NodeInfo) (sets.Set[string], bool) {
	out := sets.New[string]()
	var pinned []topology.Candidate
	for _, n := range nodes {
		node := n.Node()
		if node == nil {
			continue
		}
		if c := topology.NodeCandidate(pl.store, node); pl.ev.PinnedTo(ps, c) {
			out.Insert(node.Name)
			pinned = append(pinned, c)
		}
	}
	for i := range pinned {
		if pl.ev.EvaluateNodes(ps, pinned[i:i+1], 1).Fits > 0 {
			return out, true
		}
	}
	return out, false
}

// PreFilterExtensions returns nil: a pod's volumes do not depend on the
// other pods kube-scheduler adds or removes in preemption's dry runs.
func (pl *Volplace) PreFilterExtensions() fwk.PreFilterExtensions { return nil }
