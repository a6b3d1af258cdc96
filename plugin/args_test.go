package plugin

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
)

func TestDecodeArgs(t *testing.T) {
	withArgs := func(f func(*topology.Options)) topology.Options {
		o := DefaultOptions()
		f(&o)
		return o
	}
	raw := func(s string) k8sruntime.Object {
		return &k8sruntime.Unknown{Raw: []byte(s), ContentType: k8sruntime.ContentTypeJSON}
	}
	tests := []struct {
		name    string
		args    k8sruntime.Object
		want    topology.Options
		wantErr string
	}{
		{name: "no pluginConfig entry", args: nil, want: DefaultOptions()},
		{name: "empty args", args: raw(""), want: DefaultOptions()},
		{name: "empty object", args: raw("{}"), want: DefaultOptions()},
		{
			name: "rules and scoring as in the configuration file",
			args: raw(`{"rules":{"inTreeVolumeLimits":true,"requireCSIDriver":false,"capacityRefresh":"5m"},` +
				`"scoring":{"weights":{"capacity":3,"locality":0},"capacityShape":[{"utilization":0,"score":0},{"utilization":100,"score":10}]}}`),
			want: withArgs(func(o *topology.Options) {
				o.InTreeVolumeLimits = true
				o.RequireCSIDriver = false
				o.CapacityRefresh = 5 * time.Minute
				o.Weights.Capacity = 3
				o.Weights.Locality = 0
				o.CapacityShape = []topology.ShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 10}}
			}),
		},
		{
			name: "YAML content",
			args: &k8sruntime.Unknown{Raw: []byte("rules:\n  readWriteOnceGuard: false\n"), ContentType: k8sruntime.ContentTypeYAML},
			want: withArgs(func(o *topology.Options) { o.ReadWriteOnceGuard = false }),
		},
		{
			name:    "an unknown field",
			args:    raw(`{"rules":{"requireDriver":false}}`),
			wantErr: `decoding the Volplace plugin's args: error unmarshaling JSON: while decoding JSON: json: unknown field "requireDriver"`,
		},
		{
			name:    "bad values name their fields",
			args:    raw(`{"rules":{"capacityRefresh":"-1s"},"scoring":{"weights":{"attachHeadroom":101}}}`),
			wantErr: `the Volplace plugin's args: [rules.capacityRefresh: Invalid value: "-1s": must not be negative, scoring.weights.attachHeadroom: Invalid value: 101: must be between 0 and 100]`,
		},
		{
			name:    "not raw arguments",
			args:    &corev1.Pod{},
			wantErr: "the Volplace plugin's args are a *v1.Pod, want the fields of plugin.Args",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeArgs(tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("decodeArgs() error = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeArgs() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want,+got):\n%s", diff)
			}
		})
	}
}
