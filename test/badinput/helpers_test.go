package badinput

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func resourceMust(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// metav1LabelSelectorInvalid has an operator no selector knows.
func metav1LabelSelectorInvalid() metav1.LabelSelector {
	return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Around", Values: []string{"gold"}}}}
}
