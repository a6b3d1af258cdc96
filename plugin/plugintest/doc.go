// Package plugintest runs a scheduler plugin's extension points the way
// kube-scheduler's scheduling cycle calls them, for tests: PreFilter once
// over every node, Filter on each node PreFilter's result keeps, PreScore
// over the nodes that fit, Score on each of them, then NormalizeScore on
// the list. It mirrors the framework's order of calls and what the
// framework makes of a Skip status, without importing k8s.io/kubernetes
// (which volplace does not import): CycleState and NodeInfo are doubles
// that give what a plugin reads of them.
//
// It differs from kube-scheduler where that keeps a test from seeing a
// verdict: it filters every node rather than stopping once enough fit,
// and it scores when a single node fits (kube-scheduler then picks the
// node unscored).
package plugintest
