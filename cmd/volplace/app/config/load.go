package config

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	rulesconfig "github.com/volplace/volplace/topology/config"
)

// Default returns the configuration used without a file.
func Default() *Configuration {
	return &Configuration{APIVersion: APIVersion, Kind: Kind}
}

// Load returns the configuration of a file, or the defaults when path is
// empty.
func Load(path string) (*Configuration, error) {
	if path == "" {
		return Default(), nil
	}
	return LoadFile(path)
}

// LoadFile reads and validates a configuration file.
func LoadFile(path string) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("configuration %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML or JSON strictly (unknown fields are errors) and
// validates the result.
func Parse(data []byte) (*Configuration, error) {
	c := &Configuration{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		return nil, err
	}
	if errs := Validate(c); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return c, nil
}

// Validate checks a configuration, naming each wrong field by its path.
func Validate(c *Configuration) field.ErrorList {
	var errs field.ErrorList
	if c.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), c.APIVersion, []string{APIVersion}))
	}
	if c.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), c.Kind, []string{Kind}))
	}
	errs = append(errs, rulesconfig.ValidateRules(&c.Rules, field.NewPath("rules"))...)
	errs = append(errs, rulesconfig.ValidateScoring(&c.Scoring, field.NewPath("scoring"))...)
	return append(errs, validateWebhook(&c.Webhook, field.NewPath("webhook"))...)
}

var (
	knownModes   = []string{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"}
	bindingModes = []string{"Immediate", "WaitForFirstConsumer"}
)

func validateWebhook(w *Webhook, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p := w.DefaultStorageClassPolicy; p != "" && p != "newest" && p != "reject" {
		errs = append(errs, field.NotSupported(path.Child("defaultStorageClassPolicy"), p, []string{"newest", "reject"}))
	}
	if n := w.SchedulerName; n != "" {
		for _, msg := range validation.IsDNS1123Subdomain(n) {
			errs = append(errs, field.Invalid(path.Child("schedulerName"), n, msg))
		}
	}
	seen := map[string]bool{}
	for i, p := range w.AccessModes {
		pp := path.Child("accessModes").Index(i)
		switch {
		case p.Provisioner == "":
			errs = append(errs, field.Required(pp.Child("provisioner"), "name the provisioner"))
		case seen[p.Provisioner]:
			errs = append(errs, field.Duplicate(pp.Child("provisioner"), p.Provisioner))
		}
		seen[p.Provisioner] = true
		if len(p.Filesystem) == 0 {
			errs = append(errs, field.Required(pp.Child("filesystem"), "list at least one access mode"))
		}
		for _, list := range []struct {
			name  string
			modes []string
		}{{"filesystem", p.Filesystem}, {"block", p.Block}} {
			for j, m := range list.modes {
				if !slices.Contains(knownModes, m) {
					errs = append(errs, field.NotSupported(pp.Child(list.name).Index(j), m, knownModes))
				}
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(w.BindingModes)) {
		if m := w.BindingModes[p]; !slices.Contains(bindingModes, m) {
			errs = append(errs, field.NotSupported(path.Child("bindingModes").Key(p), m, bindingModes))
		}
	}
	return errs
}
