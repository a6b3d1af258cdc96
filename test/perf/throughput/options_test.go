package main

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{name: "defaults", modify: func(*Options) {}},
		{name: "mixed managed", modify: func(o *Options) {
			o.VolumeFraction, o.Variants = 0.5, []string{"volplace", "volplace-managed"}
		}},
		{name: "one pod", modify: func(o *Options) { o.Pods = 1 },
			want: "--pods must be at least 2 to measure a rate, not 1"},
		{name: "more zones than nodes", modify: func(o *Options) { o.Nodes, o.Zones = 5, 10 },
			want: "--zones (10) must not exceed --nodes (5): every zone needs a node"},
		{name: "too many pods", modify: func(o *Options) { o.Nodes, o.Zones, o.Pods = 10, 10, 500 },
			want: "--pods 500 do not fit 10 nodes in 10 zones (40 pods a node at the most)"},
		{name: "fraction", modify: func(o *Options) { o.VolumeFraction = 1.5 },
			want: "--volume-fraction must be between 0 and 1, not 1.5"},
		{name: "unknown variant", modify: func(o *Options) { o.Variants = []string{"fast"} },
			want: `--variants: unknown variant "fast": want plugin, or none, noop or volplace, optionally followed by -only and -managed`},
		{name: "twice", modify: func(o *Options) { o.Variants = []string{"noop", "noop"} },
			want: "--variants names noop twice"},
		{name: "output", modify: func(o *Options) { o.Output = "csv" },
			want: `--output must be markdown or json, not "csv"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			tt.modify(o)
			got := ""
			if err := errors.Join(o.Validate()...); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want,+got):\n%s", diff)
			}
		})
	}
}
