package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVariant(t *testing.T) {
	tests := []struct {
		name    string
		want    Variant
		wantErr bool
	}{
		{name: "none", want: Variant{Extender: ExtenderNone}},
		{name: "noop", want: Variant{Extender: ExtenderNoop}},
		{name: "volplace", want: Variant{Extender: ExtenderVolplace}},
		{name: "volplace-only", want: Variant{Extender: ExtenderVolplace, ExtenderOnly: true}},
		{name: "noop-managed", want: Variant{Extender: ExtenderNoop, Managed: true}},
		{name: "volplace-only-managed", want: Variant{Extender: ExtenderVolplace, ExtenderOnly: true, Managed: true}},
		{name: "none-only", want: Variant{Extender: ExtenderNone, ExtenderOnly: true}},
		{name: "plugin", want: Variant{Extender: ExtenderNone, Plugin: true}},
		{name: "plugin-only", wantErr: true},
		{name: "none-managed", wantErr: true},
		{name: "volplace-managed-only", wantErr: true},
		{name: "kube", wantErr: true},
		{name: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVariant(tt.name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseVariant(%q) error = %v, want error %v", tt.name, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseVariant(%q) (-want,+got):\n%s", tt.name, diff)
			}
			if err == nil && got.String() != tt.name {
				t.Errorf("String() = %q, want %q", got.String(), tt.name)
			}
		})
	}
}

func TestBaselines(t *testing.T) {
	tests := []struct {
		variant string
		want    []string
	}{
		{variant: "none"},
		{variant: "noop", want: []string{"none"}},
		{variant: "volplace", want: []string{"noop", "none"}},
		{variant: "volplace-only", want: []string{"noop-only", "none-only"}},
		{variant: "volplace-managed", want: []string{"volplace", "noop-managed", "none"}},
		{variant: "noop-managed", want: []string{"noop", "none"}},
		{variant: "plugin", want: []string{"volplace", "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			v, err := ParseVariant(tt.variant)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range baselines(v) {
				got = append(got, b.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("baselines(%s) (-want,+got):\n%s", tt.variant, diff)
			}
		})
	}
}
