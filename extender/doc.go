// Package extender serves kube-scheduler's HTTP extender verbs as a thin
// adapter over package topology.
//
// Routes: POST /filter and POST /prioritize, with the wire types of
// k8s.io/kube-scheduler/extender/v1 (ExtenderArgs in; ExtenderFilterResult
// or HostPriorityList out). Both modes are supported: with
// nodeCacheCapable: true kube-scheduler sends only NodeNames and volplace
// reads the nodes from its informer cache (recommended); otherwise it sends
// full Node objects, which volplace evaluates as sent.
//
// A pod without PersistentVolumeClaims gets every node back untouched. Nodes
// that fail go to FailedAndUnresolvableNodes when preemption cannot help,
// else FailedNodes, with the reason line of topology.Reasons. Scores are
// 0..10. Error is set only for real faults (the cache has not synced); a
// malformed request gets HTTP 400 with a message.
//
// A request is decoded without the cache (the NodeNames as bytes of the
// body), its nodes resolved to candidates (topology.ResolveNodes,
// topology.GivenNodes), evaluated (topology.Evaluator.EvaluateNodes), and
// the verdicts encoded.
package extender
