package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionLine(t *testing.T) {
	tests := []struct {
		name string
		v    buildVersion
		want string
	}{
		{name: "release", v: buildVersion{Version: "v0.1.0", GoVersion: "go1.26.8"}, want: "volplace v0.1.0 (go1.26.8)"},
		{name: "from a checkout", v: buildVersion{Version: "v0.0.0-20261207140856-aff73729b518+dirty", Revision: "aff73729b518", Modified: true, GoVersion: "go1.26.8"},
			want: "volplace v0.0.0-20261207140856-aff73729b518+dirty (revision aff73729b518, modified, go1.26.8)"},
		{name: "nothing known", v: buildVersion{Version: "devel"}, want: "volplace devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.v.String()); diff != "" {
				t.Errorf("version line (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersionNeverPlaceholder checks that --version never prints
// component-base's placeholder, whatever the build (a test binary has no
// -ldflags version).
func TestVersionNeverPlaceholder(t *testing.T) {
	var out bytes.Buffer
	printVersion(&out)
	if got := out.String(); strings.Contains(got, "$Format") || !strings.HasPrefix(got, "volplace ") {
		t.Errorf("--version prints %q", got)
	}
}
