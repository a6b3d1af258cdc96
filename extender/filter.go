package extender

import (
	corev1 "k8s.io/api/core/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
)

// candidate is a node kube-scheduler asks about; node is nil when volplace
// does not know it.
type candidate struct {
	name string
	node *corev1.Node
}

// candidates returns the request's nodes, from the cache in NodeNames mode
// or as sent in Nodes mode, without duplicates.
func candidates(snap topology.Snapshot, args *extenderv1.ExtenderArgs) []candidate {
	seen := map[string]bool{}
	var out []candidate
	if args.NodeNames != nil {
		out = make([]candidate, 0, len(*args.NodeNames))
		for _, name := range *args.NodeNames {
			if seen[name] {
				continue
			}
			seen[name] = true
			node, _ := snap.Node(name)
			out = append(out, candidate{name: name, node: node})
		}
		return out
	}
	out = make([]candidate, 0, len(args.Nodes.Items))
	for i := range args.Nodes.Items {
		node := &args.Nodes.Items[i]
		if seen[node.Name] {
			continue
		}
		seen[node.Name] = true
		out = append(out, candidate{name: node.Name, node: node})
	}
	return out
}

// filterOutcome is a filter result with what it rejected, for metrics and logs.
type filterOutcome struct {
	result   *extenderv1.ExtenderFilterResult
	rejected map[topology.Code]int
	// details holds per-node reasons with their figures, for debug logs.
	details map[string]topology.Reasons
}

// filter evaluates the pod on the request's nodes. With reservations, it
// reserves the pod's single-node claims when some node passes, and holds
// back a pod whose claims another pod reserved.
func filter(ev *topology.Evaluator, reservations *inFlight, args *extenderv1.ExtenderArgs) filterOutcome {
	out := filterOutcome{
		result: &extenderv1.ExtenderFilterResult{
			FailedNodes:                extenderv1.FailedNodesMap{},
			FailedAndUnresolvableNodes: extenderv1.FailedNodesMap{},
		},
		rejected: map[topology.Code]int{},
		details:  map[string]topology.Reasons{},
	}
	if !topology.HasClaims(args.Pod) {
		out.result.NodeNames, out.result.Nodes = args.NodeNames, args.Nodes
		return out
	}
	state := ev.Prepare(args.Pod)
	var exclusive []string
	if reservations != nil {
		exclusive = state.ExclusiveClaims()
	}
	held := len(exclusive) > 0 && reservations.reservedByOther(args.Pod.UID, exclusive)
	var passed []candidate
	messages := reasonMessages{}
	for _, c := range candidates(ev.Snapshot(), args) {
		if held {
			out.result.FailedNodes[c.name] = ErrReasonClaimInFlight
			out.rejected[codeClaimInFlight]++
			continue
		}
		if c.node == nil {
			out.result.FailedNodes[c.name] = ErrReasonNodeUnknown
			out.rejected[codeNodeUnknown]++
			continue
		}
		res := ev.Evaluate(state, c.node)
		if res.Fits() {
			passed = append(passed, c)
			continue
		}
		if res.Reasons.Unresolvable() {
			out.result.FailedAndUnresolvableNodes[c.name] = messages.of(res.Reasons.Primary())
		} else {
			out.result.FailedNodes[c.name] = messages.of(res.Reasons.Primary())
		}
		for _, r := range res.Reasons {
			out.rejected[r.Code]++
		}
		out.details[c.name] = res.Reasons
	}
	if len(passed) > 0 && len(exclusive) > 0 {
		reservations.reserve(args.Pod.UID, exclusive)
	}
	if args.NodeNames != nil {
		names := make([]string, len(passed))
		for i, c := range passed {
			names[i] = c.name
		}
		out.result.NodeNames = &names
	} else {
		list := &corev1.NodeList{Items: make([]corev1.Node, len(passed))}
		for i, c := range passed {
			list.Items[i] = *c.node
		}
		out.result.Nodes = list
	}
	return out
}

// reasonMessages builds each distinct reason line once per request: most
// failing nodes fail the same way, and a request may name thousands.
type reasonMessages map[reasonKey]string

type reasonKey struct{ message, subject string }

func (m reasonMessages) of(r topology.Reason) string {
	if len(r.Subjects) > 1 {
		return r.String()
	}
	k := reasonKey{message: r.Message}
	if len(r.Subjects) == 1 {
		k.subject = r.Subjects[0]
	}
	s, ok := m[k]
	if !ok {
		s = r.String()
		m[k] = s
	}
	return s
}
