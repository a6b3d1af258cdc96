// Package topology decides whether a pod's volumes fit on a node, why not, and
// how well.
//
// It is the single source of placement decisions in volplace: the scheduler
// extender, the admission webhook and the offline simulator are thin adapters
// over it. The package is pure: it reads a Snapshot (informer caches in a
// server, objects loaded from YAML offline) and never calls the API server.
//
// The rules mirror kube-scheduler's VolumeBinding, VolumeZone,
// NodeVolumeLimits and VolumeRestrictions plugins, with the same reason
// strings, and add the checks kube-scheduler leaves to runtime: the CSI driver
// must be registered on the node, the node must carry the driver's topology
// keys, and a ReadWriteOnce volume attached elsewhere pins the pod to that
// node. docs/rules.md lists every rule and reason.
//
// Evaluation has two steps, like a scheduling cycle: Evaluator.Prepare
// resolves the pod's claims once (pod-level failures such as a missing claim
// end there), then Evaluator.EvaluateNodes gives the pod's verdict on each
// of many candidate nodes (ResolveNodes, GivenNodes, AllNodes) and tallies
// them; Evaluator.Evaluate checks one node and scores it.
package topology
