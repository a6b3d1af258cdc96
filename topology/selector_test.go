package topology

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNodeSelector(t *testing.T) {
	node := &corev1.Node{}
	node.Name = "n1"
	node.Labels = map[string]string{"zone": "a", "cpus": "16"}
	view := newNodeView(node, nil)
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	tests := []struct {
		name    string
		terms   []corev1.NodeSelectorTerm
		want    bool
		wantErr bool
	}{
		{name: "In", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpIn, "a", "b")}}}, want: true},
		{name: "NotIn", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpNotIn, "a")}}}},
		{name: "Exists and Gt", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpExists), req("cpus", corev1.NodeSelectorOpGt, "8")}}}, want: true},
		{name: "Lt fails", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("cpus", corev1.NodeSelectorOpLt, "8")}}}},
		{name: "DoesNotExist", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("gpu", corev1.NodeSelectorOpDoesNotExist)}}}, want: true},
		{name: "name In", terms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{req("metadata.name", corev1.NodeSelectorOpIn, "n1")}}}, want: true},
		{name: "name NotIn", terms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{req("metadata.name", corev1.NodeSelectorOpNotIn, "n1")}}}},
		{name: "empty term matches nothing", terms: []corev1.NodeSelectorTerm{{}}},
		{name: "no terms match nothing", terms: nil},
		{
			name: "invalid term does not spoil a valid one",
			terms: []corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", "Near", "a")}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpIn, "a")}},
			},
			want: true, wantErr: true,
		},
		{name: "unsupported field", terms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{req("metadata.uid", corev1.NodeSelectorOpIn, "x")}}}, wantErr: true},
		{name: "Gt needs an integer", terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req("cpus", corev1.NodeSelectorOpGt, "many")}}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := compileNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: tt.terms})
			if got := s.Match(view); got != tt.want {
				t.Errorf("Match() = %v, want %v", got, tt.want)
			}
			if (s.err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", s.err, tt.wantErr)
			}
		})
	}
	s := compileNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: tests[2].terms})
	if allocs := testing.AllocsPerRun(100, func() { s.Match(view) }); allocs != 0 {
		t.Errorf("Match allocates %v times, want 0", allocs)
	}
}
