package plugin

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology"
)

// scoreScale turns the extender's 0..topology.MaxScore into the
// framework's 0..fwk.MaxScore, as kube-scheduler scales an extender's
// score.
const scoreScale = fwk.MaxScore / topology.MaxScore

// PreScore skips scoring a pod that PreFilter skipped, or whose nodes all
// fail for a claim another pod holds.
func (pl *Volplace) PreScore(_ context.Context, cs fwk.CycleState, _ *corev1.Pod, _ []fwk.NodeInfo) *fwk.Status {
	s, err := readState(cs)
	switch {
	case err != nil:
		return fwk.AsStatus(err)
	case s == nil || s.inFlight || !s.pod.HasClaims():
		return fwk.NewStatus(fwk.Skip)
	}
	return nil
}

// Score gives the extender's score of the node, 0..topology.MaxScore: the
// one Filter computed in this cycle, else a new evaluation.
func (pl *Volplace) Score(_ context.Context, cs fwk.CycleState, _ *corev1.Pod, nodeInfo fwk.NodeInfo) (int64, *fwk.Status) {
	s, err := readState(cs)
	if err != nil {
		return 0, fwk.AsStatus(err)
	}
	if s == nil {
		return 0, nil
	}
	node := nodeInfo.Node()
	if node == nil {
		return 0, fwk.NewStatus(fwk.Error, errNodeNotFound)
	}
	if score, ok := s.scores.Load(node.Name); ok {
		return score.(int64), nil
	}
	return pl.evaluate(s, node).Score, nil
}

// ScoreExtensions returns the plugin, which normalizes its scores.
func (pl *Volplace) ScoreExtensions() fwk.ScoreExtensions { return pl }

// NormalizeScore scales the scores to 0..fwk.MaxScore.
func (pl *Volplace) NormalizeScore(_ context.Context, _ fwk.CycleState, _ *corev1.Pod, scores fwk.NodeScoreList) *fwk.Status {
	for i := range scores {
		scores[i].Score *= scoreScale
	}
	return nil
}
