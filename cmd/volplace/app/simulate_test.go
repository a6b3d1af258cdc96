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
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestSimulateExamples runs `volplace simulate` on the shipped examples and
// compares the exact output with golden files (go test -update rewrites
// them after a deliberate change).
func TestSimulateExamples(t *testing.T) {
	tests := []struct {
		name    string
		example string
		output  string
		pod     string
		// extra files of the example; plan and replicas as the flags.
		extra    []string
		plan     bool
		replicas int
	}{
		{name: "zonal-table", example: "zonal", output: "table"},
		{name: "zonal-json", example: "zonal", output: "json"},
		{name: "zonal-one-pod", example: "zonal", output: "table", pod: "shop/web-0"},
		{name: "local-table", example: "local", output: "table"},
		{name: "local-json", example: "local", output: "json"},
		{name: "capacity-table", example: "capacity", output: "table"},
		{name: "capacity-json", example: "capacity", output: "json"},
		{name: "storage-stack-table", example: "storage-stack", output: "table"},
		{name: "plan-table", example: "plan", output: "table", extra: []string{"statefulset.yaml"}, plan: true, replicas: 12},
		{name: "plan-json", example: "plan", output: "json", extra: []string{"statefulset.yaml"}, plan: true, replicas: 12},
		{name: "plan-own-replicas", example: "plan", output: "table", extra: []string{"statefulset.yaml"}, plan: true},
		{name: "capacity-plan", example: "capacity", output: "table", plan: true},
		{name: "local-plan", example: "local", output: "table", plan: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", "examples", tt.example)
			o := &SimulateOptions{
				Files:    []string{filepath.Join(dir, "cluster.yaml")},
				Output:   tt.output,
				Pod:      tt.pod,
				Plan:     tt.plan,
				Replicas: tt.replicas,
			}
			for _, f := range tt.extra {
				o.Files = append(o.Files, filepath.Join(dir, f))
			}
			if errs := o.Validate(); len(errs) > 0 {
				t.Fatalf("Validate() = %v", errs)
			}
			var out, notes bytes.Buffer
			if err := o.Run(&out, &notes); err != nil {
				t.Fatalf("Run() = %v", err)
			}
			if notes.Len() > 0 {
				t.Errorf("unexpected notes: %s", notes.String())
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file: %v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("output (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestSimulateOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts SimulateOptions
		want []string
	}{
		{name: "valid", opts: SimulateOptions{Files: []string{"a.yaml"}, Output: "table"}},
		{name: "no file", opts: SimulateOptions{Output: "json"}, want: []string{"at least one -f FILE is required"}},
		{name: "bad output", opts: SimulateOptions{Files: []string{"a"}, Output: "yaml"}, want: []string{`--output must be table or json, not "yaml"`}},
		{name: "bad pod", opts: SimulateOptions{Files: []string{"a"}, Output: "table", Pod: "web-0"}, want: []string{`--pod must be NAMESPACE/NAME, not "web-0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, err := range tt.opts.Validate() {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestSimulateMissingPod(t *testing.T) {
	o := &SimulateOptions{Files: []string{"../../../examples/zonal/cluster.yaml"}, Output: "table", Pod: "shop/nope"}
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
			o := &SimulateOptions{Files: []string{filepath.Join("testdata", "attached-volume.yaml")}, Output: "table", ConfigFile: tt.config}
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
			err := (&SimulateOptions{Files: []string{tt.file}, Output: "table"}).Run(&out, &notes)
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
