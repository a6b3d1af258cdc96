package plugin

import (
	"fmt"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/topology"
	rulesconfig "github.com/volplace/volplace/topology/config"
)

// Args are the plugin's arguments, the args of its pluginConfig entry in a
// KubeSchedulerConfiguration profile: the rules and scoring sections of
// volplace's configuration file, with the same fields and meaning. What
// they leave unset takes the plugin's defaults (DefaultOptions).
//
//	pluginConfig:
//	- name: Volplace
//	  args:
//	    rules:
//	      capacityRefresh: 5m
//	    scoring:
//	      weights: {capacity: 2}
type Args struct {
	Rules   rulesconfig.Rules   `json:"rules"`
	Scoring rulesconfig.Scoring `json:"scoring"`
}

// decodeArgs returns the rules' options that the plugin's arguments give.
// kube-scheduler hands the arguments of a plugin it does not know as
// *runtime.Unknown holding their JSON (nil without a pluginConfig entry);
// unknown fields are errors, as in volplace's configuration file.
func decodeArgs(obj k8sruntime.Object) (topology.Options, error) {
	var args Args
	switch a := obj.(type) {
	case nil:
	case *k8sruntime.Unknown:
		if len(a.Raw) > 0 {
			if err := yaml.UnmarshalStrict(a.Raw, &args); err != nil {
				return topology.Options{}, fmt.Errorf("decoding the %s plugin's args: %w", Name, err)
			}
		}
	default:
		return topology.Options{}, fmt.Errorf("the %s plugin's args are a %T, want the fields of plugin.Args", Name, obj)
	}
	errs := rulesconfig.ValidateRules(&args.Rules, field.NewPath("rules"))
	errs = append(errs, rulesconfig.ValidateScoring(&args.Scoring, field.NewPath("scoring"))...)
	if len(errs) > 0 {
		return topology.Options{}, fmt.Errorf("the %s plugin's args: %w", Name, errs.ToAggregate())
	}
	return rulesconfig.Options(DefaultOptions(), &args.Rules, &args.Scoring), nil
}
