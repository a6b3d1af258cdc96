package app

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSoftMemoryLimit(t *testing.T) {
	type result struct {
		Limit int64
		Set   bool
		Err   bool
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want result
	}{
		{name: "no container limit", want: result{}},
		{name: "container limit", env: map[string]string{EnvMemoryLimit: "1073741824"}, want: result{Limit: 966367641, Set: true}},
		{name: "GOMEMLIMIT wins", env: map[string]string{EnvMemoryLimit: "1073741824", "GOMEMLIMIT": "200MiB"}, want: result{}},
		{name: "not a number", env: map[string]string{EnvMemoryLimit: "1Gi"}, want: result{Err: true}},
		{name: "zero", env: map[string]string{EnvMemoryLimit: "0"}, want: result{Err: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			limit, set, err := softMemoryLimit(func(k string) string { return tt.env[k] })
			if diff := cmp.Diff(tt.want, result{Limit: limit, Set: set, Err: err != nil}); diff != "" {
				t.Errorf("(-want,+got):\n%s", diff)
			}
		})
	}
}
