// Package plugin registers volplace's rules with kube-scheduler's
// scheduling framework: one plugin, Volplace, at PreFilter, Filter,
// PreScore, Score and Reserve, with queueing hints. It is an adapter over
// package topology, as the extender is: the verdicts, reasons and scores
// are the extender's, from the same evaluation (topology.Evaluator).
//
// PreFilter prepares the pod once per scheduling cycle and, when the node
// affinity of a bound PV pins it to some nodes, narrows the cycle to them
// (kube-scheduler then reports the other nodes as "didn't satisfy plugin(s)
// [Volplace]" rather than with the affinity reason). Filter evaluates one
// node; a node fails Unschedulable or UnschedulableAndUnresolvable as the
// reason is resolvable or not. Score gives the extender's 0..10 score,
// NormalizeScore scales it to the framework's 0..100. Reserve holds what
// the pod takes until its binding shows in the informers: capacity and
// single-node claims (topology.Holds, as the extender holds them), attach
// slots and ReadWriteOnce use on the node (store.AssumePod); Unreserve
// gives them back. Pods that failed while they were held are queued again
// by the Pod/Delete hint: kube-scheduler reports an assumed pod it forgets
// after a failed binding as a deleted assigned pod. (A Reserve or Permit
// failure unreserves within the scheduling cycle, before any other pod's
// cycle could see the hold.)
//
// The plugin's arguments (Args, its pluginConfig args) are the rules and
// scoring sections of volplace's configuration file, decoded strictly and
// validated at start: a wrong field stops kube-scheduler with its path.
//
// The plugin reads the scheduler's own shared informers through a store
// that sets no transform on them (store.NewShared). It imports
// k8s.io/kube-scheduler/framework, never k8s.io/kubernetes: the binary that
// registers it with kube-scheduler is the nested module
// cmd/volplace-scheduler (test/layout checks it).
package plugin
