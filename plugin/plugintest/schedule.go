package plugintest

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	fwk "k8s.io/kube-scheduler/framework"
)

// Plugin is what a scheduling cycle calls of a plugin up to scoring.
// *plugin.Volplace is one. Schedule takes the interface rather than the
// type so that package plugin's own tests can import plugintest.
type Plugin interface {
	fwk.PreFilterPlugin
	fwk.FilterPlugin
	fwk.PreScorePlugin
	fwk.ScorePlugin
}

// Cycle is what one scheduling cycle made of a pod.
type Cycle struct {
	// State is the cycle's state, for the extension points that follow
	// once a node is picked (Reserve, Unreserve).
	State fwk.CycleState
	// PreFilter is PreFilter's status: nil when it succeeded, Skip when
	// the plugin has nothing to check for the pod (Filter does not run and
	// every node passes), else the status that ended the cycle.
	PreFilter *fwk.Status
	// PreScore is PreScore's status: Skip when the plugin does not score
	// the pod, nil when it succeeded or did not run (no node fits).
	PreScore *fwk.Status
	// Score is the first failure of Score or NormalizeScore, or an error
	// for a score outside fwk.MinScore..fwk.MaxScore after NormalizeScore
	// (kube-scheduler fails the attempt for one); nil otherwise.
	Score *fwk.Status
	// Nodes are the nodes' outcomes, in the order given to Schedule.
	Nodes []Node
}

// Node is one node's outcome in a cycle.
type Node struct {
	Name string
	// Excluded is true when PreFilter's result left the node out: Filter
	// did not run on it, and Code and Message are kube-scheduler's status
	// for such a node.
	Excluded bool
	// Code and Message are Filter's status: Success when the node fits,
	// or when PreFilter skipped the pod. When PreFilter failed, they are
	// its status, which kube-scheduler reports for every node.
	Code    fwk.Code
	Message string
	// Score is the node's score after NormalizeScore: 0 when the node does
	// not fit or the plugin does not score the pod.
	Score int64
}

// Fits reports whether the node passed the plugin's filtering.
func (n Node) Fits() bool { return !n.Excluded && n.Code == fwk.Success }

// Schedule runs one scheduling cycle of pod over nodes, as kube-scheduler
// runs it with pl as its only plugin: PreFilter once; Filter on each node
// PreFilter's result keeps, concurrently; PreScore over the nodes that
// fit; Score on each of them, concurrently; NormalizeScore on the list.
// A Skip from PreFilter skips Filter, one from PreScore skips Score and
// NormalizeScore. The cycle stops where kube-scheduler's would: after a
// PreFilter that fails, when no node fits, after a PreScore or Score that
// fails.
func Schedule(ctx context.Context, pl Plugin, pod *corev1.Pod, nodes []*corev1.Node) Cycle {
	c := Cycle{State: NewCycleState(), Nodes: make([]Node, len(nodes))}
	infos := NodeInfos(nodes)
	for i, n := range nodes {
		c.Nodes[i].Name = n.Name
	}
	res, status := pl.PreFilter(ctx, c.State, pod, infos)
	c.PreFilter = status
	switch {
	case status.IsSkip():
		// The framework ignores the result and does not call Filter.
	case !status.IsSuccess():
		for i := range c.Nodes {
			c.Nodes[i].Code, c.Nodes[i].Message = status.Code(), status.Message()
		}
		return c
	default:
		c.filter(ctx, pl, pod, infos, res)
	}
	var fit []int
	for i, n := range c.Nodes {
		if n.Fits() {
			fit = append(fit, i)
		}
	}
	if len(fit) == 0 {
		return c
	}
	c.score(ctx, pl, pod, infos, fit)
	return c
}

// filter runs Filter on each node that PreFilter's result keeps, and marks
// the others excluded with the status kube-scheduler gives them.
func (c *Cycle) filter(ctx context.Context, pl Plugin, pod *corev1.Pod, infos []fwk.NodeInfo, res *fwk.PreFilterResult) {
	excluded := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", []string{pl.Name()})
	var wg sync.WaitGroup
	for i, info := range infos {
		n := &c.Nodes[i]
		if !res.AllNodes() && !res.NodeNames.Has(n.Name) {
			n.Excluded, n.Code, n.Message = true, fwk.UnschedulableAndUnresolvable, excluded
			continue
		}
		wg.Go(func() {
			status := pl.Filter(ctx, c.State, pod, info)
			n.Code, n.Message = status.Code(), status.Message()
		})
	}
	wg.Wait()
}

// score runs PreScore over the nodes that fit (indexes into c.Nodes),
// Score on each and NormalizeScore on the list, and keeps the normalized
// scores in c.Nodes.
func (c *Cycle) score(ctx context.Context, pl Plugin, pod *corev1.Pod, infos []fwk.NodeInfo, fit []int) {
	fitInfos := make([]fwk.NodeInfo, len(fit))
	for j, i := range fit {
		fitInfos[j] = infos[i]
	}
	c.PreScore = pl.PreScore(ctx, c.State, pod, fitInfos)
	if !c.PreScore.IsSuccess() {
		return
	}
	scores := make(fwk.NodeScoreList, len(fit))
	statuses := make([]*fwk.Status, len(fit))
	var wg sync.WaitGroup
	for j, i := range fit {
		wg.Go(func() {
			scores[j].Name = c.Nodes[i].Name
			scores[j].Score, statuses[j] = pl.Score(ctx, c.State, pod, infos[i])
		})
	}
	wg.Wait()
	for j, s := range statuses {
		if !s.IsSuccess() {
			c.Score = fwk.AsStatus(fmt.Errorf("scoring node %s: %w", scores[j].Name, s.AsError()))
			return
		}
	}
	if ext := pl.ScoreExtensions(); ext != nil {
		if s := ext.NormalizeScore(ctx, c.State, pod, scores); !s.IsSuccess() {
			c.Score = fwk.AsStatus(fmt.Errorf("normalizing the scores: %w", s.AsError()))
			return
		}
	}
	for _, sc := range scores {
		if sc.Score < fwk.MinScore || sc.Score > fwk.MaxScore {
			c.Score = fwk.AsStatus(fmt.Errorf("node %s scored %d after NormalizeScore, outside %d..%d", sc.Name, sc.Score, fwk.MinScore, fwk.MaxScore))
			return
		}
	}
	for j, i := range fit {
		c.Nodes[i].Score = scores[j].Score
	}
}
