package app

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunPrintsErrors checks that a failed command says so on standard
// error as "Error: ..." with exit code 1, as kubectl does, not as a klog
// line.
func TestRunPrintsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "missing file", args: []string{"simulate", "-f", "/nonexistent/cluster.yaml"}, want: "Error: reading /nonexistent/cluster.yaml: "},
		{name: "unknown flag", args: []string{"simulate", "--no-such-flag"}, want: "Error: unknown flag: --no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := NewCommand()
			var stdout, stderr bytes.Buffer
			cmd.SetOut(&stdout)
			cmd.SetErr(&stderr)
			cmd.SetArgs(tt.args)
			if code := Run(cmd); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, tt.want) {
				t.Errorf("last line of standard error %q, want it to start with %q; all of it:\n%s", last, tt.want, stderr.String())
			}
		})
	}
}
