package extender

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/volplace/volplace/topology"
)

// request is ExtenderArgs as the extender decodes it: the NodeNames are
// the bytes of the names, which resolve looks up in the cache, so that
// thousands of names cost no allocation each.
type request struct {
	Pod   *corev1.Pod
	Nodes *corev1.NodeList
	// NodeNames are the names in NodeNames mode, nil in Nodes mode;
	// names is where the decoders put them.
	NodeNames *nodeNames
	names     nodeNames
	// body is the pooled buffer the names may point into, nil when they
	// do not.
	body *bytes.Buffer
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

// resolve returns the request's nodes as candidates, without duplicates:
// in NodeNames mode the nodes of the cache (topology.ResolveNodes), else
// the nodes as given. The names are gone after it (release).
func (r *request) resolve(cluster topology.Cluster, parallelism int) []topology.Candidate {
	defer r.release()
	if r.NodeNames != nil {
		return topology.ResolveNodes(cluster, r.NodeNames.names(), parallelism)
	}
	return topology.GivenNodes(r.Nodes.Items)
}

// release returns the request's body and names for reuse, once the names
// are resolved or will not be.
func (r *request) release() {
	if r.NodeNames != nil {
		// encoding/json decodes names given after a null into a
		// nodeNames of its own.
		r.NodeNames.release()
	}
	r.names.release()
	if r.body != nil {
		releaseBody(r.body)
		r.body = nil
	}
}

// byName reports whether the request is in NodeNames mode.
func (r *request) byName() bool { return r.NodeNames != nil }

// decodeJSON decodes an ExtenderArgs body with encoding/json.
func decodeJSON(dec *json.Decoder) (*request, error) {
	r := &request{}
	w := &wireRequest{NodeNames: &r.names}
	if err := dec.Decode(w); err != nil {
		r.release()
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
	r.Pod, r.Nodes, r.NodeNames = w.Pod.pod(), w.Nodes, w.NodeNames
	if r.NodeNames != nil && !r.NodeNames.present {
		r.NodeNames = nil // the field was absent
	}
	return r, nil
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
