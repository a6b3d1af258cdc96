package store

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// assumed are the pods a scheduler plugin has reserved on a node
// (Store.AssumePod) whose binding the informer does not show yet, by
// holder ("pod/namespace/name") to node: kube-scheduler's assumed pods, as
// far as volumes go.
type assumed struct {
	mu    sync.Mutex
	nodes map[string]string
}

// node returns the node a pod without one in the informer is assumed on,
// or "".
func (a *assumed) node(holder string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nodes[holder]
}

func (a *assumed) set(holder, node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if node == "" {
		delete(a.nodes, holder)
		return
	}
	if a.nodes == nil {
		a.nodes = map[string]string{}
	}
	a.nodes[holder] = node
}

// AssumePod counts the pod's volumes on the node kube-scheduler reserved it
// on, before the informer shows its binding: the attach slots and the
// ReadWriteOnce access it takes there hold from its Reserve on, so that the
// next pod scheduled does not see them free. The pod's binding, when the
// informer shows it, counts the same; ForgetPod undoes an assumption whose
// binding will not come.
func (s *Store) AssumePod(pod *corev1.Pod, node string) {
	r := newPodRecord(pod)
	s.assumed.set(podHolder(r), node)
	s.refreshPod(r)
}

// ForgetPod drops the assumption of AssumePod: the pod counts as the
// informer shows it.
func (s *Store) ForgetPod(pod *corev1.Pod) {
	r := newPodRecord(pod)
	holder := podHolder(r)
	s.assumed.set(holder, "")
	obj, ok, err := s.pods.GetByKey(pod.Namespace + "/" + pod.Name)
	if cached, isPod := asRecord(obj); ok && err == nil && isPod {
		s.refreshPod(cached)
		return
	}
	s.usage.set(holder, holding{})
}

// withAssumed returns the pods, each pod assumed on a node (AssumePod) that
// the informer does not show on one with that node.
func (s *Store) withAssumed(pods []*corev1.Pod) []*corev1.Pod {
	for i, p := range pods {
		if p.Spec.NodeName != "" {
			continue
		}
		if node := s.assumed.node(podKeyHolder(p.Namespace, p.Name)); node != "" {
			c := *p
			c.Spec.NodeName = node
			pods[i] = &c
		}
	}
	return pods
}

// nodeOf returns the node a pod record holds its volumes on: its own, or
// the node it is assumed on.
func (s *Store) nodeOf(r *podRecord) string {
	if r.NodeName != "" {
		return r.NodeName
	}
	return s.assumed.node(podHolder(r))
}

// refreshPodEvent recomputes what a pod the informer delivered holds; a
// pod it shows on a node is no longer assumed.
func (s *Store) refreshPodEvent(r *podRecord) {
	if r.NodeName != "" {
		s.assumed.set(podHolder(r), "")
	}
	s.refreshPod(r)
}
