package main

import (
	"fmt"
	"strings"
)

// Extender is what kube-scheduler calls besides its plugins.
type Extender string

// Extenders.
const (
	// ExtenderNone runs kube-scheduler alone.
	ExtenderNone Extender = "none"
	// ExtenderNoop is `throughput noop-extender`: it decodes the request
	// and accepts every node, the transport floor of any HTTP extender.
	ExtenderNoop Extender = "noop"
	// ExtenderVolplace is `volplace serve`.
	ExtenderVolplace Extender = "volplace"
)

// Variant suffixes.
const (
	suffixOnly    = "-only"
	suffixManaged = "-managed"
)

// variantPlugin names the variant that runs volplace-scheduler: no
// extender, volplace's rules as the Volplace framework plugin in place of
// NodeVolumeLimits, VolumeZone and VolumeRestrictions.
const variantPlugin = "plugin"

// Variant is one configuration under test.
type Variant struct {
	// Plugin runs volplace-scheduler instead of kube-scheduler.
	Plugin bool
	// Extender is the extender called, if any.
	Extender Extender
	// ExtenderOnly disables the in-tree volume plugins (VolumeBinding,
	// VolumeZone, NodeVolumeLimits, VolumeRestrictions) in the profile.
	ExtenderOnly bool
	// Managed declares storageResource as the extender's managed resource
	// and has the pods with volumes request it, so that kube-scheduler
	// calls the extender only for those pods.
	Managed bool
}

// ParseVariant parses "<extender>[-only][-managed]".
func ParseVariant(name string) (Variant, error) {
	if name == variantPlugin {
		return Variant{Extender: ExtenderNone, Plugin: true}, nil
	}
	rest := name
	var v Variant
	if s, ok := strings.CutSuffix(rest, suffixManaged); ok {
		v.Managed, rest = true, s
	}
	if s, ok := strings.CutSuffix(rest, suffixOnly); ok {
		v.ExtenderOnly, rest = true, s
	}
	switch e := Extender(rest); e {
	case ExtenderNone, ExtenderNoop, ExtenderVolplace:
		v.Extender = e
	default:
		return Variant{}, fmt.Errorf("unknown variant %q: want %s, or none, noop or volplace, optionally followed by %s and %s", name, variantPlugin, suffixOnly, suffixManaged)
	}
	if v.Managed && v.Extender == ExtenderNone {
		return Variant{}, fmt.Errorf("variant %q: %s needs an extender", name, suffixManaged)
	}
	return v, nil
}

// String is the variant's name, as ParseVariant reads it.
func (v Variant) String() string {
	if v.Plugin {
		return variantPlugin
	}
	s := string(v.Extender)
	if v.ExtenderOnly {
		s += suffixOnly
	}
	if v.Managed {
		s += suffixManaged
	}
	return s
}

// With returns the variant with another extender.
func (v Variant) With(e Extender) Variant { v.Extender = e; return v }
