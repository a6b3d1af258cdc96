package config

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/volplace/volplace/topology"
)

// MaxWeight bounds a score weight.
const MaxWeight = 100

// ValidateRules checks the rules section at path.
func ValidateRules(r *Rules, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if d := r.CapacityRefresh; d != nil && d.Duration < 0 {
		errs = append(errs, field.Invalid(path.Child("capacityRefresh"), d.Duration.String(), "must not be negative"))
	}
	return errs
}

// ValidateScoring checks the scoring section at path.
func ValidateScoring(s *Scoring, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if w := s.Weights; w != nil {
		wp := path.Child("weights")
		for _, f := range []struct {
			name  string
			value *int64
		}{{"locality", w.Locality}, {"capacity", w.Capacity}, {"attachHeadroom", w.AttachHeadroom}} {
			if f.value != nil && (*f.value < 0 || *f.value > MaxWeight) {
				errs = append(errs, field.Invalid(wp.Child(f.name), *f.value, fmt.Sprintf("must be between 0 and %d", MaxWeight)))
			}
		}
	}
	shape := path.Child("capacityShape")
	for i, p := range s.CapacityShape {
		if p.Utilization < 0 || p.Utilization > 100 {
			errs = append(errs, field.Invalid(shape.Index(i).Child("utilization"), p.Utilization, "must be between 0 and 100"))
		}
		if p.Score < 0 || p.Score > topology.MaxScore {
			errs = append(errs, field.Invalid(shape.Index(i).Child("score"), p.Score, fmt.Sprintf("must be between 0 and %d", topology.MaxScore)))
		}
		if i > 0 && p.Utilization <= s.CapacityShape[i-1].Utilization {
			errs = append(errs, field.Invalid(shape.Index(i).Child("utilization"), p.Utilization, "must be greater than the previous point's"))
		}
	}
	return errs
}
