package extender

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/volplace/volplace/topology"
)

// request is ExtenderArgs as the extender decodes it: the NodeNames are
// looked up in the cache, and duplicates dropped, while they are parsed, so
// that thousands of names cost no allocation each.
type request struct {
	Pod       *corev1.Pod
	Nodes     *corev1.NodeList
	NodeNames *nodeNames
}

// wireRequest is what is decoded: of the pod, only what the rules read.
type wireRequest struct {
	Pod       *wirePod
	Nodes     *corev1.NodeList
	NodeNames *nodeNames
}

// wirePod holds the fields of a Pod that volplace reads. Decoding only them
// skips the containers, their resources and the managed fields, most of
// the bytes kube-scheduler sends, without allocating for them.
type wirePod struct {
	Metadata struct {
		Name      string    `json:"name"`
		Namespace string    `json:"namespace"`
		UID       types.UID `json:"uid"`
	} `json:"metadata"`
	Spec struct {
		Volumes  []corev1.Volume `json:"volumes"`
		NodeName string          `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase corev1.PodPhase `json:"phase"`
	} `json:"status"`
}

func (p *wirePod) pod() *corev1.Pod {
	if p == nil {
		return nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Metadata.Name, Namespace: p.Metadata.Namespace, UID: p.Metadata.UID},
		Spec:       corev1.PodSpec{Volumes: p.Spec.Volumes, NodeName: p.Spec.NodeName},
		Status:     corev1.PodStatus{Phase: p.Status.Phase},
	}
}

// candidates returns the request's nodes, without duplicates.
func (r *request) candidates() []candidate {
	if r.NodeNames != nil {
		return r.NodeNames.cands
	}
	return fullNodes(r.Nodes)
}

// byName reports whether the request is in NodeNames mode.
func (r *request) byName() bool { return r.NodeNames != nil }

// decodeJSON decodes an ExtenderArgs body with encoding/json.
func decodeJSON(dec *json.Decoder, snap topology.Snapshot, parallelism int) (*request, error) {
	names := &nodeNames{snap: snap, parallelism: parallelism}
	w := &wireRequest{NodeNames: names}
	if err := dec.Decode(w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// encoding/json would name volplace's own type.
			if typeErr.Field == "" {
				return nil, fmt.Errorf("cannot unmarshal JSON %s into ExtenderArgs", typeErr.Value)
			}
			return nil, fmt.Errorf("field %s: cannot unmarshal JSON %s into %s", typeErr.Field, typeErr.Value, typeName(typeErr.Type))
		}
		return nil, err
	}
	r := &request{Pod: w.Pod.pod(), Nodes: w.Nodes, NodeNames: w.NodeNames}
	if r.NodeNames != nil && !r.NodeNames.present {
		r.NodeNames = nil // the field was absent
	}
	return r, nil
}

// candidatePool recycles the candidate slices of large requests.
var candidatePool = sync.Pool{New: func() any { return new([]candidate) }}

// maxPooledCandidates caps the slices kept for reuse.
const maxPooledCandidates = 1 << 16

func getCandidates(n int) []candidate {
	p := candidatePool.Get().(*[]candidate)
	if cap(*p) < n {
		return make([]candidate, 0, n)
	}
	return (*p)[:0]
}

// releaseCandidates returns a request's candidates for reuse, once its
// answer is written.
func releaseCandidates(c []candidate) {
	if c == nil || cap(c) > maxPooledCandidates {
		return
	}
	clear(c[:cap(c)]) // drop the references to nodes
	c = c[:0]
	candidatePool.Put(&c)
}

// fullNodes returns the candidates of a Nodes-mode request.
func fullNodes(nodes *corev1.NodeList) []candidate {
	out := getCandidates(len(nodes.Items))
	seen := make(map[string]struct{}, len(nodes.Items))
	for i := range nodes.Items {
		node := &nodes.Items[i]
		if _, dup := seen[node.Name]; dup {
			continue
		}
		seen[node.Name] = struct{}{}
		out = append(out, candidate{name: node.Name, node: node, index: -1})
	}
	return out
}

// typeName names a decoding target the way the API's types would.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[wirePod]():
		return "v1.Pod"
	case t.Kind() == reflect.Struct && t.Name() == "":
		return "object" // a part of wirePod
	}
	return t.String()
}
