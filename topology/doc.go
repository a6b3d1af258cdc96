// Package topology decides whether a pod's volumes fit on a node, why not,
// and how well: volplace's rules, and the only place they are written.
//
// The scheduler extender, the admission webhook, the offline simulator and
// any scheduler plugin are adapters over it. It reads the cluster through
// the Cluster interface, which names what the rules need (a claim, the
// unbound PVs of a class, the volumes a driver has in use on a node), never
// how a store lays it out; package store implements it over informer caches
// and over objects loaded from files. docs/architecture.md draws the
// packages and the path of one request.
//
// Evaluation has two steps, like a scheduling cycle: Evaluator.Prepare
// resolves the pod's claims once (claims.go; pod-level failures such as a
// missing claim end there), then Evaluator.EvaluateNodes gives the pod's
// verdict on many candidate nodes (ResolveNodes, GivenNodes, AllNodes) and
// tallies them: the one entry point of the extender, simulate, explain and
// the planner (evaluatenodes.go, candidates.go, tally.go). One file
// holds one rule, from what Prepare computes for it to its check and its
// part of the score, in the way of kube-scheduler's volume plugins:
//
//	nodeaffinity.go        a bound PV's node affinity (VolumeBinding), with
//	nodeaffinity_index.go  its shortcut over the store's label index
//	volumezone.go          a bound PV's zone labels (VolumeZone)
//	restrictions.go        ReadWriteOncePod and ReadWriteOnce (VolumeRestrictions)
//	binding.go             WaitForFirstConsumer claims: static PVs, allowedTopologies
//	csidriver.go           the CSI driver registered on the node, its topology keys
//	limits.go              CSI attach limits (NodeVolumeLimits), migration.go
//	capacity.go            CSIStorageCapacity, capacity_index.go
//	score.go               the weighted score of the components above
//
// docs/rules.md lists every rule and reason; the reason strings are
// kube-scheduler's where it has one (reasons.go).
//
// topology must not import package store, the servers (extender, webhook),
// cmd, net/http, client-go informers or k8s.io/kubernetes: it is pure, and
// never calls the API server (test/layout checks the imports).
package topology
