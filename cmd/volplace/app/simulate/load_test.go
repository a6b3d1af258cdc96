package simulate

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

func describe(objs []runtime.Object) []string {
	var out []string
	for _, obj := range objs {
		m, err := meta.Accessor(obj)
		if err != nil {
			out = append(out, fmt.Sprintf("%T: %v", obj, err))
			continue
		}
		out = append(out, fmt.Sprintf("%T %s", obj, m.GetName()))
	}
	return out
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		want      []string
		wantNotes string
		wantErr   string
	}{
		{
			name:  "several YAML documents",
			input: "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\napiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: n1}\n",
			want:  []string{"*v1.Node n1", "*v1.CSINode n1"},
		},
		{
			name:  "List as kubectl writes it",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: n1}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: ns}\n",
			want:  []string{"*v1.Node n1", "*v1.Pod p"},
		},
		{
			name:  "typed list",
			input: `{"apiVersion":"v1","kind":"NodeList","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}]}`,
			want:  []string{"*v1.Node n1"},
		},
		{
			name:  "JSON object",
			input: `{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"}, "provisioner": "x"}`,
			want:  []string{"*v1.StorageClass fast"},
		},
		{
			name:  "empty and null documents are skipped",
			input: "---\n\n---\nnull\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
			want:  []string{"*v1.Node n1"},
		},
		{
			name:      "unknown kind is skipped with a note",
			input:     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
			want:      []string{"*v1.Node n1"},
			wantNotes: "note: f.yaml: document 1: skipping v1 ConfigMap: volplace does not read this kind\nnote: f.yaml: document 2: skipping apps/v1 DaemonSet: volplace does not read this kind\n",
		},
		{
			name:  "workloads are kept",
			input: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: etl}\n",
			want:  []string{"*v1.StatefulSet db", "*v1.Deployment web", "*v1.Job etl"},
		},
		{
			name:  "workloads in a List as kubectl writes it",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata: {name: db, namespace: ns}\n  spec: {replicas: 3, volumeClaimTemplates: [{metadata: {name: data}}]}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: n1}\n",
			want:  []string{"*v1.StatefulSet db", "*v1.Node n1"},
		},
		{
			name:  "typed workload list",
			input: `{"apiVersion":"batch/v1","kind":"JobList","items":[{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"etl"}}]}`,
			want:  []string{"*v1.Job etl"},
		},
		{
			name:      "other versions and groups of workload kinds are skipped with a note",
			input:     "apiVersion: apps/v1beta2\nkind: StatefulSet\nmetadata: {name: db}\n---\napiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: etl}\n",
			wantNotes: "note: f.yaml: document 1: skipping apps/v1beta2 StatefulSet: volplace reads only apps/v1 StatefulSet\nnote: f.yaml: document 2: skipping batch.volcano.sh/v1alpha1 Job: volplace reads only batch/v1 Job\n",
		},
		{
			name:    "workload field of the wrong type names the kind",
			input:   "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {replicas: many}\n",
			wantErr: "f.yaml: document 1: decoding StatefulSet:",
		},
		{
			name:      "older API version is skipped with a note",
			input:     "apiVersion: storage.k8s.io/v1beta1\nkind: CSIStorageCapacity\nmetadata: {name: c, namespace: ns}\nstorageClassName: fast\n",
			wantNotes: "note: f.yaml: document 1: skipping storage.k8s.io/v1beta1 CSIStorageCapacity: volplace reads only the v1 version of this kind\n",
		},
		{
			name:    "missing kind",
			input:   "apiVersion: v1\nmetadata: {name: n1}\n",
			wantErr: "f.yaml: document 1: missing kind",
		},
		{
			name:    "not an object",
			input:   "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\n- just\n- a list\n",
			wantErr: "f.yaml: document 2: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type struct",
		},
		{
			name:    "invalid YAML",
			input:   "apiVersion: v1\nkind: Node\nmetadata: {name: n1\n",
			wantErr: "f.yaml: document 1: error converting YAML to JSON",
		},
		{
			name:    "field of the wrong type names the kind",
			input:   "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec:\n  capacity: {storage: lots}\n",
			wantErr: "f.yaml: document 1: decoding PersistentVolume:",
		},
		{
			name:    "list item without kind names the item",
			input:   "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: n1}\n- metadata: {name: n2}\n",
			wantErr: "f.yaml: document 1, item 2: not a Kubernetes object: missing apiVersion and kind",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes bytes.Buffer
			objs, err := NewLoader(&notes).Load("f.yaml", []byte(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if diff := cmp.Diff(tt.want, describe(objs)); diff != "" {
				t.Errorf("objects (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, notes.String()); diff != "" {
				t.Errorf("notes (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestLoadFilesMissing(t *testing.T) {
	_, err := NewLoader(nil).LoadFiles([]string{"testdata/does-not-exist.yaml"})
	if err == nil || !strings.HasPrefix(err.Error(), "reading testdata/does-not-exist.yaml: ") {
		t.Fatalf("LoadFiles() error = %v", err)
	}
}
