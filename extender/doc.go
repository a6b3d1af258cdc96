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
// A request goes decode → resolve → prepare → evaluate → encode: the
// decoder reads bytes and knows nothing of the cache; topology resolves the
// names, prepares the pod and evaluates the nodes; the extender adds what
// only a server has, the holds of pods in flight, and writes the answer.
//
// A pod without PersistentVolumeClaims gets every node back untouched. Nodes
// that fail go to FailedAndUnresolvableNodes when preemption cannot help,
// else FailedNodes, with the reason line of topology.Reasons. Scores are
// 0..10. Error is set only for real faults (the cache has not synced); a
// malformed request gets HTTP 400 with a message.
//
// extender imports topology only of volplace's packages: not the store,
// which the command wires in, nor the webhook (test/layout checks it).
package extender
