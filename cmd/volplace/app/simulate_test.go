package app

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestSimulateExamples runs `volplace simulate` on the shipped examples, in
// every output format and view, and compares the exact output with golden
// files (go test -update rewrites them after a deliberate change).
func TestSimulateExamples(t *testing.T) {
	example := func(name string, files ...string) []string {
		args := []string{"simulate", "-f", filepath.Join("..", "..", "..", "examples", name, "cluster.yaml")}
		for _, f := range files {
			args = append(args, "-f", filepath.Join("..", "..", "..", "examples", name, f))
		}
		return args
	}
	zonal, local, capacity := example("zonal"), example("local"), example("capacity")
	plan := append(example("plan", "statefulset.yaml"), "--plan")
	tests := []struct {
		name string
		args []string
	}{
		{name: "zonal-table", args: zonal},
		{name: "zonal-wide", args: append(zonal, "-o", "wide")},
		{name: "zonal-json", args: append(zonal, "-o", "json")},
		{name: "zonal-yaml", args: append(zonal, "-o", "yaml")},
		{name: "zonal-only-failing", args: append(zonal, "--only-failing")},
		{name: "zonal-summary", args: append(zonal, "--summary")},
		{name: "zonal-summary-json", args: append(zonal, "--summary", "-o", "json")},
		{name: "zonal-one-pod", args: append(zonal, "--pod", "shop/web-0")},
		{name: "zonal-one-pod-namespace", args: append(zonal, "--pod", "web-0", "-n", "shop", "-o", "wide")},
		{name: "zonal-namespace", args: append(zonal, "-n", "shop", "--summary")},
		{name: "local-table", args: local},
		{name: "local-json", args: append(local, "-o", "json")},
		{name: "capacity-table", args: capacity},
		{name: "capacity-json", args: append(capacity, "-o", "json")},
		{name: "storage-stack-table", args: example("storage-stack")},
		{name: "plan-table", args: append(plan, "--replicas", "12")},
		{name: "plan-wide", args: append(plan, "--replicas", "12", "-o", "wide")},
		{name: "plan-json", args: append(plan, "--replicas", "12", "-o", "json")},
		{name: "plan-yaml", args: append(plan, "--replicas", "12", "-o", "yaml", "--only-failing")},
		{name: "plan-only-failing", args: append(plan, "--replicas", "12", "--only-failing")},
		{name: "plan-summary", args: append(plan, "--replicas", "12", "--summary")},
		{name: "plan-own-replicas", args: plan},
		{name: "capacity-plan", args: append(capacity, "--plan")},
		{name: "local-plan", args: append(local, "--plan")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, notes := runCommand(t, tt.args...)
			if notes != "" {
				t.Errorf("unexpected notes: %s", notes)
			}
			checkGolden(t, tt.name, out)
		})
	}
}

// runCommand runs volplace with args and returns its standard output and
// error; the command must succeed.
func runCommand(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := NewCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	if code := Run(cmd); code != 0 {
		t.Fatalf("volplace %s: exit code %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String(), errOut.String()
}

// checkGolden compares got with testdata/NAME.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file: %v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output (-want,+got):\n%s", diff)
	}
}

func TestSimulateOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts func(*SimulateOptions)
		want []string
	}{
		{name: "valid"},
		{name: "no file", opts: func(o *SimulateOptions) { o.Files = nil }, want: []string{"at least one -f FILE is required"}},
		{name: "bad output", opts: func(o *SimulateOptions) { o.Output = "xml" }, want: []string{`--output must be one of table, wide, json, yaml, not "xml"`}},
		{name: "bad pod", opts: func(o *SimulateOptions) { o.Pod = "shop/" }, want: []string{`--pod must be NAME or NAMESPACE/NAME, not "shop/"`}},
		{name: "pod in another namespace", opts: func(o *SimulateOptions) { o.Pod, o.Namespace = "shop/web-0", "db" }, want: []string{"--pod shop/web-0 names namespace shop, but -n gives db"}},
		{name: "plan with a pod", opts: func(o *SimulateOptions) { o.Plan, o.Pod = true, "web-0" }, want: []string{"--plan places every pending pod; it does not take --pod or --namespace"}},
		{name: "two views", opts: func(o *SimulateOptions) { o.OnlyFailing, o.Summary = true, true }, want: []string{"--only-failing and --summary exclude each other: --summary shows no node"}},
		{name: "no file size", opts: func(o *SimulateOptions) { o.MaxFileSize = resource.MustParse("0") }, want: []string{"--max-file-size must be positive, not 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewSimulateOptions()
			o.Files = []string{"a.yaml"}
			if tt.opts != nil {
				tt.opts(o)
			}
			var got []string
			for _, err := range o.Validate() {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestSimulateMissingPod(t *testing.T) {
	o := NewSimulateOptions()
	o.Files, o.Pod = []string{"../../../examples/zonal/cluster.yaml"}, "shop/nope"
	var out bytes.Buffer
	err := o.Run(&out, &out)
	if err == nil || err.Error() != "pod shop/nope not found" {
		t.Fatalf("Run() error = %v, want pod shop/nope not found", err)
	}
}

// TestSimulateConfig checks that simulate applies --config: a volume
// attached to a full node with no pod using it is counted as
// kube-scheduler's NodeVolumeLimits counts it by default, once where
// volplace is the only volume filter.
func TestSimulateConfig(t *testing.T) {
	for _, tt := range []struct {
		name, config, want string
	}{
		{name: "default profile", want: "node-a  no    -      node(s) exceed max volume count (disk.csi.example.com)"},
		{name: "volplace alone", config: filepath.Join("testdata", "volplace-only.yaml"), want: "node-a  yes   "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := NewSimulateOptions()
			o.Files, o.ConfigFile = []string{filepath.Join("testdata", "attached-volume.yaml")}, tt.config
			var out bytes.Buffer
			if err := o.Run(&out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output does not contain %q:\n%s", tt.want, out.String())
			}
		})
	}
}

// TestSimulateSaysWhatWasRead checks that files with nothing to simulate
// are not taken for a cluster without pending pods: no object volplace
// reads is an error, no Node a note.
func TestSimulateSaysWhatWasRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty := write("empty.yaml", "")
	claimOnly := write("claim.yaml", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: default}\n")
	tests := []struct {
		name              string
		file              string
		wantErr, wantNote string
	}{
		{name: "empty file", file: empty, wantErr: "no object volplace reads in " + empty},
		{name: "no node", file: claimOnly, wantNote: "note: no Node in " + claimOnly + ": no pod fits anywhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, notes bytes.Buffer
			o := NewSimulateOptions()
			o.Files = []string{tt.file}
			err := o.Run(&out, &notes)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Run() error = %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(notes.String(), tt.wantNote) {
				t.Errorf("notes %q, want %q", notes.String(), tt.wantNote)
			}
		})
	}
}

// TestSimulateFileSizeLimit checks that a file over --max-file-size stops
// with an error that names the limit and the flag, and that raising the
// flag reads it.
func TestSimulateFileSizeLimit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "zonal", "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := NewCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"simulate", "-f", path, "--max-file-size", "1Ki"})
	if code := Run(cmd); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	want := "Error: reading " + path + ": the file is larger than the limit of 1Ki; raise it with --max-file-size\n"
	if diff := cmp.Diff(want, stderr.String()); diff != "" {
		t.Errorf("standard error (-want,+got):\n%s", diff)
	}
	out, _ := runCommand(t, "simulate", "-f", path, "--max-file-size", "1Mi", "--summary")
	if !strings.Contains(out, "Pod shop/db-0: 1/5 nodes are available") {
		t.Errorf("with the limit raised:\n%s", out)
	}
}
