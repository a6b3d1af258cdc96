package config

import (
	"time"

	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/webhook"
)

func TestParseWebhook(t *testing.T) {
	header := "apiVersion: config.volplace.io/v1alpha1\nkind: VolplaceConfiguration\n"
	tests := []struct {
		name    string
		input   string
		want    webhook.Options
		wantErr string
	}{
		{name: "defaults", input: header, want: webhook.DefaultOptions()},
		{
			name: "every policy",
			input: header + `webhook:
  defaultStorageClassPolicy: reject
  enforceAccessModes: false
  accessModes:
  - {provisioner: csi.example.com, filesystem: [ReadWriteOnce], block: [ReadWriteOnce, ReadWriteMany]}
  deletionGuard: {enabled: false, countFinishedPods: true}
  bindingModes: {nfs.csi.k8s.io: Immediate}
  topologyWaitForFirstConsumer: false
  rewriteNodeName: false
  extenderResource: true
`,
			want: webhook.Options{
				DefaultClassPolicy: webhook.PolicyReject,
				Capabilities: map[string]webhook.Capabilities{"csi.example.com": {
					Filesystem: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Block:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadWriteMany},
				}},
				CountFinishedPods: true,
				BindingModes:      map[string]storagev1.VolumeBindingMode{"nfs.csi.k8s.io": storagev1.VolumeBindingImmediate},
				ExtenderResource:  true,
			},
		},
		{
			name:    "bad values name their fields",
			input:   header + "webhook:\n  defaultStorageClassPolicy: oldest\n  accessModes: [{provisioner: x, filesystem: [RWX]}, {provisioner: x}]\n  bindingModes: {x: Lazy}\n",
			wantErr: `[webhook.defaultStorageClassPolicy: Unsupported value: "oldest": supported values: "newest", "reject", webhook.accessModes[0].filesystem[0]: Unsupported value: "RWX": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod", webhook.accessModes[1].provisioner: Duplicate value: "x", webhook.accessModes[1].filesystem: Required value: list at least one access mode, webhook.bindingModes[x]: Unsupported value: "Lazy": supported values: "Immediate", "WaitForFirstConsumer"]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.input))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse() error = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if diff := cmp.Diff(tt.want, c.WebhookOptions()); diff != "" {
				t.Errorf("WebhookOptions() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	header := "apiVersion: config.volplace.io/v1alpha1\nkind: VolplaceConfiguration\n"
	defaults := topology.DefaultOptions()
	tests := []struct {
		name    string
		input   string
		want    *topology.Options
		wantErr string
	}{
		{name: "empty configuration keeps defaults", input: header, want: &defaults},
		{
			name:  "rules and scoring",
			input: header + "rules: {requireCSIDriver: false, readWriteOnceGuard: false, inTreeVolumeLimits: false, capacityRefresh: 90s}\nscoring:\n  weights: {locality: 5, capacity: 0}\n  capacityShape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]\n",
			want: &topology.Options{
				Weights:         topology.Weights{Locality: 5, Capacity: 0, AttachHeadroom: 1},
				CapacityShape:   []topology.ShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 10}},
				CapacityRefresh: 90 * time.Second,
			},
		},
		{
			name:    "negative capacity refresh",
			input:   header + "rules: {capacityRefresh: -1s}\n",
			wantErr: `rules.capacityRefresh: Invalid value: "-1s": must not be negative`,
		},
		{
			name:    "wrong apiVersion and kind",
			input:   "apiVersion: v1\nkind: ConfigMap\n",
			wantErr: `[apiVersion: Unsupported value: "v1": supported values: "config.volplace.io/v1alpha1", kind: Unsupported value: "ConfigMap": supported values: "VolplaceConfiguration"]`,
		},
		{
			name:    "unknown field",
			input:   header + "rules: {requireCSI: true}\n",
			wantErr: `error unmarshaling JSON: while decoding JSON: json: unknown field "requireCSI"`,
		},
		{
			name:    "negative weight",
			input:   header + "scoring: {weights: {capacity: -1}}\n",
			wantErr: "scoring.weights.capacity: Invalid value: -1: must be between 0 and 100",
		},
		{
			name:    "shape out of range and unsorted",
			input:   header + "scoring:\n  capacityShape: [{utilization: 50, score: 11}, {utilization: 50, score: 0}, {utilization: 101, score: 0}]\n",
			wantErr: "[scoring.capacityShape[0].score: Invalid value: 11: must be between 0 and 10, scoring.capacityShape[1].utilization: Invalid value: 50: must be greater than the previous point's, scoring.capacityShape[2].utilization: Invalid value: 101: must be between 0 and 100]",
		},
		{
			name:    "not YAML",
			input:   "{",
			wantErr: "error converting YAML to JSON: yaml: line 1: did not find expected node content",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.input))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse() error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if diff := cmp.Diff(*tt.want, c.TopologyOptions()); diff != "" {
				t.Errorf("TopologyOptions() (-want,+got):\n%s", diff)
			}
		})
	}
}
