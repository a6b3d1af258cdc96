package app

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
		{name: "bad output", args: []string{"simulate", "-f", "x.yaml", "-o", "xml"}, want: `Error: --output must be one of table, wide, json, yaml, not "xml"`},
		{name: "bad size", args: []string{"simulate", "-f", "x.yaml", "--max-file-size", "big"}, want: `Error: invalid argument "big" for "--max-file-size" flag: not a quantity (such as 512Mi)`},
		{name: "explain without a pod", args: []string{"explain"}, want: "Error: name the pod: explain [NAMESPACE/]NAME, or --pod"},
		{name: "explain with two pods", args: []string{"explain", "a", "--pod", "b"}, want: "Error: the pod is named twice: a and --pod b"},
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

// TestFlagUsagesHaveNoBackquotes checks every flag of every command: pflag
// takes a `quoted` word of a usage for the flag's argument name, so
// "as `kubectl get -o yaml` writes" would show as "--filename kubectl get
// -o yaml".
func TestFlagUsagesHaveNoBackquotes(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if strings.Contains(f.Usage, "`") {
					t.Errorf("%s --%s: usage has a backquote, which pflag shows as the argument's name: %q", c.CommandPath(), f.Name, f.Usage)
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCommand())
}

// TestHelp compares every command's --help with a golden file: a
// command's own flags come first, placeholders read as values, and a change
// of wording is deliberate (go test -update rewrites them).
func TestHelp(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub, append(slices.Clone(path), sub.Name()))
			}
		}
	}
	walk(NewCommand(), nil)
	for _, path := range paths {
		name := strings.Join(append([]string{"help", "volplace"}, path...), "-")
		t.Run(name, func(t *testing.T) {
			out, _ := runCommand(t, append(path, "--help")...)
			checkGolden(t, name, out)
		})
	}
}
