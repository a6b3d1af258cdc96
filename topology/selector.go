package topology

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// nodeSelector is a compiled corev1.NodeSelector that matches a node
// without allocating: terms are ORed, a term's requirements ANDed, and
// matchFields supports metadata.name only, with In or NotIn and one value,
// as the API does. A term that does not compile, or an empty term, matches
// no node, as in k8s.io/component-helpers' LazyErrorNodeSelector.
type nodeSelector struct {
	terms []selectorTerm
	err   error // what did not compile, for explanations
}

type selectorTerm struct {
	labels []labelRequirement
	names  []nameRequirement
}

// labelRequirement is a compiled requirement on a node label, with what
// the label index reads of it.
type labelRequirement struct {
	req    labels.Requirement
	key    string
	op     selection.Operator
	values []string
}

// The operators the label index computes sets for.
const (
	opIn           = selection.In
	opNotIn        = selection.NotIn
	opExists       = selection.Exists
	opDoesNotExist = selection.DoesNotExist
)

type nameRequirement struct {
	name string
	in   bool
}

var selectorOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

func compileNodeSelector(ns *corev1.NodeSelector) *nodeSelector {
	s := &nodeSelector{}
	var errs []error
	for i, term := range ns.NodeSelectorTerms {
		if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
			continue
		}
		t, err := compileTerm(term)
		if err != nil {
			errs = append(errs, fmt.Errorf("term %d: %w", i, err))
			continue
		}
		s.terms = append(s.terms, t)
	}
	s.err = errors.Join(errs...)
	return s
}

func compileTerm(term corev1.NodeSelectorTerm) (selectorTerm, error) {
	var t selectorTerm
	for _, req := range term.MatchExpressions {
		op, ok := selectorOps[req.Operator]
		if !ok {
			return t, fmt.Errorf("%q is not a valid node selector operator", req.Operator)
		}
		values := make([]string, len(req.Values))
		for i, v := range req.Values {
			values[i] = intern(v)
		}
		key := intern(req.Key)
		r, err := labels.NewRequirement(key, op, values)
		if err != nil {
			return t, err
		}
		t.labels = append(t.labels, labelRequirement{req: *r, key: key, op: op, values: values})
	}
	for _, req := range term.MatchFields {
		if req.Key != metav1.ObjectNameField {
			return t, fmt.Errorf("%q is not a supported field selector key", req.Key)
		}
		if len(req.Values) != 1 {
			return t, fmt.Errorf("field selector on %s needs exactly one value", req.Key)
		}
		switch req.Operator {
		case corev1.NodeSelectorOpIn:
			t.names = append(t.names, nameRequirement{name: req.Values[0], in: true})
		case corev1.NodeSelectorOpNotIn:
			t.names = append(t.names, nameRequirement{name: req.Values[0]})
		default:
			return t, fmt.Errorf("%q is not a valid field selector operator", req.Operator)
		}
	}
	return t, nil
}

// Match reports whether the node's labels and name satisfy the selector.
func (s *nodeSelector) Match(node *nodeView) bool {
	for i := range s.terms {
		if s.terms[i].match(node.name, node) {
			return true
		}
	}
	return false
}

func (t *selectorTerm) match(name string, set labels.Labels) bool {
	for i := range t.labels {
		if !t.labels[i].req.Matches(set) {
			return false
		}
	}
	for _, n := range t.names {
		if (name == n.name) != n.in {
			return false
		}
	}
	return true
}
