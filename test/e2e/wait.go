package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology/store"
)

// Timeouts of the waits.
const (
	// scheduleTimeout bounds the wait for a pod to be bound to a node or to
	// get a FailedScheduling event.
	scheduleTimeout = 30 * time.Second
	// syncTimeout bounds the wait for volplace's informers to catch up.
	syncTimeout = 15 * time.Second
	// pendingFor is how long a pod expected to stay Pending is watched
	// after its FailedScheduling event.
	pendingFor = 2 * time.Second
)

// WaitScheduled waits until kube-scheduler binds the pod and returns the
// node's name.
func (s *Scenario) WaitScheduled(pod *corev1.Pod) string {
	s.T.Helper()
	var bound *corev1.Pod
	err := harness.Poll(s.ctx(), scheduleTimeout, func() (bool, error) {
		p, err := s.F.Client.CoreV1().Pods(pod.Namespace).Get(s.ctx(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		bound = p
		return p.Spec.NodeName != "", nil
	})
	if err != nil {
		s.T.Fatalf("pod %s was not scheduled within %v: %v\n%s", pod.Name, scheduleTimeout, err, s.Describe(pod))
	}
	// SyncVolplace then waits for volplace to see the pod on its node.
	s.record("Pod", bound)
	scheduled.Add(1)
	return bound.Spec.NodeName
}

// WaitUnschedulable waits for a FailedScheduling event of the pod whose
// message contains want, then checks that the pod stays unbound.
// It returns the event's message.
func (s *Scenario) WaitUnschedulable(pod *corev1.Pod, want string) string {
	s.T.Helper()
	var msg string
	err := harness.Poll(s.ctx(), scheduleTimeout, func() (bool, error) {
		var err error
		msg, err = s.failedScheduling(pod, want)
		return msg != "", err
	})
	if err != nil {
		s.T.Fatalf("pod %s: no FailedScheduling event containing %q within %v: %v\n%s", pod.Name, want, scheduleTimeout, err, s.Describe(pod))
	}
	s.ExpectPending(pod)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]string{}
	}
	s.failures[pod.Name] = s.ownNodes(msg)
	return msg
}

// otherScenariosReasons are the parts of kube-scheduler's FailedScheduling
// messages that count the nodes of the other scenarios running in
// parallel: the pods' node selector rejects them, unless a filter that
// runs before NodeAffinity does first (another scenario's cordoned or
// tainted node), and preemption cannot help on them.
var otherScenariosReasons = []string{
	"node(s) didn't match Pod's node affinity/selector",
	"node(s) were unschedulable",
	"node(s) had untolerated taint",
	"Preemption is not helpful for scheduling",
}

// ownNodes returns what a FailedScheduling message says of the scenario's
// own nodes, which scenarios under different profiles can compare: each
// reason with its node count, for filtering and then for preemption,
// without the cluster's total, without the reasons that count the nodes of
// the other scenarios (otherScenariosReasons, which also drops a
// scenario's own cordoned or tainted nodes), and with the scenario's name
// replaced.
func (s *Scenario) ownNodes(msg string) string {
	msg = strings.ReplaceAll(msg, s.Name, "<scenario>")
	var parts []string
	for _, section := range strings.Split(msg, "preemption: ") {
		// "0/N nodes are available: 3 reason, 2 other reason."
		_, list, ok := strings.Cut(section, "nodes are available: ")
		if !ok {
			continue
		}
		list, _, _ = strings.Cut(list, ". ")
		var kept []string
		for _, entry := range strings.Split(strings.TrimSuffix(list, "."), ", ") {
			if !slices.ContainsFunc(otherScenariosReasons, func(r string) bool { return strings.Contains(entry, r) }) {
				kept = append(kept, entry)
			}
		}
		parts = append(parts, strings.Join(kept, ", "))
	}
	return strings.Join(parts, "; preemption: ")
}

// failedScheduling returns the message of the pod's FailedScheduling event
// that contains want, or "".
func (s *Scenario) failedScheduling(pod *corev1.Pod, want string) (string, error) {
	events, err := s.Events(pod)
	if err != nil {
		return "", err
	}
	for _, e := range events {
		if e.Reason == "FailedScheduling" && strings.Contains(e.Message, want) {
			return e.Message, nil
		}
	}
	return "", nil
}

// ExpectPending fails the test if the pod gets bound to a node within
// pendingFor.
func (s *Scenario) ExpectPending(pod *corev1.Pod) {
	s.T.Helper()
	var node string
	err := harness.Poll(s.ctx(), pendingFor, func() (bool, error) {
		p, err := s.F.Client.CoreV1().Pods(pod.Namespace).Get(s.ctx(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = p.Spec.NodeName
		return node != "", nil
	})
	switch {
	case node != "":
		s.T.Fatalf("pod %s was bound to %s, want it Pending\n%s", pod.Name, node, s.Describe(pod))
	case err != nil && !wait.Interrupted(err):
		s.T.Fatalf("getting pod %s: %v", pod.Name, err)
	}
}

// Events lists the core/v1 events about a pod, oldest first.
func (s *Scenario) Events(pod *corev1.Pod) ([]corev1.Event, error) { return s.events(s.ctx(), pod) }

func (s *Scenario) events(ctx context.Context, pod *corev1.Pod) ([]corev1.Event, error) {
	list, err := s.F.Client.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": pod.Name}.String(),
	})
	if err != nil {
		return nil, err
	}
	events := list.Items
	slices.SortStableFunc(events, func(a, b corev1.Event) int { return eventTime(a).Compare(eventTime(b)) })
	return events, nil
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	default:
		return e.CreationTimestamp.Time
	}
}

// Describe returns what helps understand a failure about a pod: its state
// and events, and what kube-scheduler and volplace logged about it.
func (s *Scenario) Describe(pod *corev1.Pod) string {
	var b strings.Builder
	// Use a fresh context: the test's may be done by now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx()), 10*time.Second)
	defer cancel()
	if p, err := s.F.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
		fmt.Fprintf(&b, "--- pod %s/%s: %v\n", pod.Namespace, pod.Name, err)
	} else {
		fmt.Fprintf(&b, "--- pod %s/%s: phase %s, nodeName %q, scheduler %s\n", p.Namespace, p.Name, p.Status.Phase, p.Spec.NodeName, p.Spec.SchedulerName)
		for _, c := range p.Status.Conditions {
			fmt.Fprintf(&b, "    condition %s=%s %s: %s\n", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	if events, err := s.events(ctx, pod); err != nil {
		fmt.Fprintf(&b, "--- events: %v\n", err)
	} else {
		fmt.Fprintf(&b, "--- events (%d):\n", len(events))
		for _, e := range events {
			fmt.Fprintf(&b, "    %s %s (x%d): %s\n", e.Type, e.Reason, max(e.Count, 1), e.Message)
		}
	}
	// Both log pods as pod="<namespace>/<name>".
	key := pod.Namespace + "/" + pod.Name + `"`
	fmt.Fprintf(&b, "--- kube-scheduler log about %s:\n%s\n", pod.Name, s.F.SchedulerLogAbout(key, 15))
	fmt.Fprintf(&b, "--- kube-scheduler log tail:\n%s\n", s.F.SchedulerLogTail(25))
	fmt.Fprintf(&b, "--- volplace log about %s:\n%s\n", pod.Name, s.F.VolplaceLogAbout(key, 15))
	return b.String()
}

// written identifies an object a scenario wrote, at the resourceVersion
// returned by the API server.
type written struct {
	kind, namespace, name, resourceVersion string
	// attachmentPV is the PV of a VolumeAttachment; class the storage class
	// of a CSIStorageCapacity: how volplace's snapshot finds them.
	attachmentPV, class string
}

// record remembers an object for SyncVolplace.
func (s *Scenario) record(kind string, obj metav1.Object, extra ...func(*written)) {
	w := written{kind: kind, namespace: obj.GetNamespace(), name: obj.GetName(), resourceVersion: obj.GetResourceVersion()}
	for _, f := range extra {
		f(&w)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = append(s.written, w)
}

// SyncVolplace waits until volplace's informer caches hold every object the
// scenario wrote, at least at the version written. kube-scheduler calls the
// extender with whatever volplace has cached, so a pod created before this
// could be judged on a partial view of its scenario.
func (s *Scenario) SyncVolplace() {
	s.T.Helper()
	s.mu.Lock()
	pending := slices.Clone(s.written)
	s.mu.Unlock()
	snap := s.F.Volplace.Store()
	err := harness.Poll(s.ctx(), syncTimeout, func() (bool, error) {
		pending = slices.DeleteFunc(pending, func(w written) bool { return cached(snap, w) })
		return len(pending) == 0, nil
	})
	if err != nil {
		s.T.Fatalf("volplace's cache lacks, after %v, %d object(s) the scenario wrote, first %+v: %v", syncTimeout, len(pending), pending[0], err)
	}
}

// cached reports whether the snapshot holds the object at its written
// version or later.
func cached(snap *store.Store, w written) bool {
	var got metav1.Object
	switch w.kind {
	case "Node":
		if o, ok := snap.Node(w.name); ok {
			got = o
		}
	case "CSINode":
		if o, ok := snap.CSINode(w.name); ok {
			got = o
		}
	case "CSIDriver":
		if o, ok := snap.CSIDriver(w.name); ok {
			got = o
		}
	case "StorageClass":
		if o, ok := snap.StorageClass(w.name); ok {
			got = o
		}
	case "PersistentVolume":
		if o, ok := snap.PersistentVolume(w.name); ok {
			got = o
		}
	case "PersistentVolumeClaim":
		if o, ok := snap.PersistentVolumeClaim(w.namespace, w.name); ok {
			got = o
		}
	case "Pod":
		for _, o := range snap.Pods() {
			if o.Namespace == w.namespace && o.Name == w.name {
				got = o
			}
		}
	case "VolumeAttachment":
		for _, o := range snap.AttachmentsByPersistentVolume(w.attachmentPV) {
			if o.Name == w.name {
				got = o
			}
		}
	case "CSIStorageCapacity":
		for _, o := range snap.CapacitiesByClass(w.class) {
			if o.Namespace == w.namespace && o.Name == w.name {
				got = o
			}
		}
	default:
		panic("SyncVolplace: unknown kind " + w.kind)
	}
	return got != nil && notOlder(got.GetResourceVersion(), w.resourceVersion)
}

// notOlder compares resourceVersions. They are opaque in the API but etcd's
// revisions in practice; fall back to equality if they do not parse.
func notOlder(have, want string) bool {
	h, err1 := strconv.ParseUint(have, 10, 64)
	w, err2 := strconv.ParseUint(want, 10, 64)
	if err1 != nil || err2 != nil {
		return have == want
	}
	return h >= w
}

// logf logs through the scenario's test.
func (s *Scenario) logf(format string, args ...any) {
	s.T.Helper()
	s.T.Logf(format, args...)
}

// ctx returns the test's context.
func (s *Scenario) ctx() context.Context { return s.T.Context() }

// WaitOutcome waits until the pod is bound, returning the node, or gets a
// FailedScheduling event whose message contains want, returning the message.
func (s *Scenario) WaitOutcome(pod *corev1.Pod, want string) (node, msg string) {
	s.T.Helper()
	err := harness.Poll(s.ctx(), scheduleTimeout, func() (bool, error) {
		p, err := s.F.Client.CoreV1().Pods(pod.Namespace).Get(s.ctx(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if node = p.Spec.NodeName; node != "" {
			return true, nil
		}
		msg, err = s.failedScheduling(pod, want)
		return msg != "", err
	})
	if err != nil {
		s.T.Fatalf("pod %s: neither bound nor a FailedScheduling event containing %q within %v: %v\n%s", pod.Name, want, scheduleTimeout, err, s.Describe(pod))
	}
	return node, msg
}
