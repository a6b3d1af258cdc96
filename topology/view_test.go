package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	st "github.com/volplace/volplace/topology/testing"
)

// viewSummary is what the rules can read of a view.
type viewSummary struct {
	Name        string
	Zone        string
	HasZone     bool
	Labels      []string
	CSINode     bool
	Drivers     []string
	Limits      map[string]int64 // by driver, for the drivers asked about
	TopologyKey []string         // of driver "zonal"
}

func summarize(v *nodeView) viewSummary {
	s := viewSummary{Name: v.name, CSINode: v.csiNode, Limits: map[string]int64{}}
	s.Zone, s.HasZone = v.Lookup(corev1.LabelTopologyZone)
	for _, l := range v.labels {
		s.Labels = append(s.Labels, l.key+"="+l.value)
	}
	slices.Sort(s.Labels)
	for _, d := range v.drivers {
		s.Drivers = append(s.Drivers, d.name)
	}
	for _, driver := range []string{"zonal", "local", "other"} {
		if limit, ok := v.attachLimit(driver); ok {
			s.Limits[driver] = limit
		}
	}
	if d, ok := v.driver("zonal"); ok {
		s.TopologyKey = d.topologyKeys
	}
	return s
}

func TestNodeView(t *testing.T) {
	hostname := []string{corev1.LabelHostname + "=n1"} // every node the builder makes has it
	tests := []struct {
		name    string
		node    *corev1.Node
		csiNode *storagev1.CSINode
		want    viewSummary
	}{
		{
			name: "labels, no CSINode",
			node: st.MakeNode("n1").Zone("a").Label("rack", "r1").Obj(),
			want: viewSummary{Name: "n1", Zone: "a", HasZone: true, Labels: []string{"kubernetes.io/hostname=n1", "rack=r1", "topology.kubernetes.io/zone=a"}, Limits: map[string]int64{}},
		},
		{
			name:    "CSINode drivers and their limits",
			node:    st.MakeNode("n1").Obj(),
			csiNode: st.MakeCSINode("n1").LimitedDriver("zonal", 39, corev1.LabelTopologyZone).Driver("local").Obj(),
			want: viewSummary{
				Name: "n1", Labels: hostname, CSINode: true, Drivers: []string{"zonal", "local"},
				Limits: map[string]int64{"zonal": 39}, TopologyKey: []string{corev1.LabelTopologyZone},
			},
		},
		{
			name:    "a CSINode limit of zero is a limit",
			node:    st.MakeNode("n1").AttachLimit("zonal", 5).Obj(),
			csiNode: st.MakeCSINode("n1").LimitedDriver("zonal", 0).Obj(),
			want:    viewSummary{Name: "n1", Labels: hostname, CSINode: true, Drivers: []string{"zonal"}, Limits: map[string]int64{"zonal": 0}},
		},
		{
			name:    "allocatable limits count for drivers whose CSINode entry sets none",
			node:    st.MakeNode("n1").AttachLimit("zonal", 5).AttachLimit("other", 7).Obj(),
			csiNode: st.MakeCSINode("n1").Driver("zonal").Obj(),
			want:    viewSummary{Name: "n1", Labels: hostname, CSINode: true, Drivers: []string{"zonal"}, Limits: map[string]int64{"zonal": 5, "other": 7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newNodeView(tt.node, tt.csiNode)
			if diff := cmp.Diff(tt.want, summarize(v)); diff != "" {
				t.Errorf("newNodeView (-want +got):\n%s", diff)
			}
			// A scratch view reused after a bigger node shows nothing of it.
			var scratch nodeView
			scratch.reset(st.MakeNode("big").Zone("z").Label("a", "1").Label("b", "2").AttachLimit("local", 3).Obj(),
				st.MakeCSINode("big").LimitedDriver("local", 9).LimitedDriver("other", 1).Obj())
			scratch.reset(tt.node, tt.csiNode)
			if diff := cmp.Diff(tt.want, summarize(&scratch)); diff != "" {
				t.Errorf("reset over another node (-want +got):\n%s", diff)
			}
			if v.touch() < len(tt.node.Name) {
				t.Errorf("touch() = %d, less than the name's length", v.touch())
			}
		})
	}
}

// TestNodeViewIsLabels checks the view against labels.Set, which it stands
// in for in label selectors.
func TestNodeViewIsLabels(t *testing.T) {
	node := st.MakeNode("n1").Zone("a").Label("empty", "").Obj()
	v := newNodeView(node, nil)
	for _, key := range []string{corev1.LabelTopologyZone, "empty", "missing", strings.ToUpper(corev1.LabelTopologyZone)} {
		wantValue, wantOK := node.Labels[key]
		if got, ok := v.Lookup(key); got != wantValue || ok != wantOK {
			t.Errorf("Lookup(%q) = %q, %v, want %q, %v", key, got, ok, wantValue, wantOK)
		}
		if v.Has(key) != wantOK || v.Get(key) != wantValue {
			t.Errorf("Has/Get(%q) = %v/%q, want %v/%q", key, v.Has(key), v.Get(key), wantOK, wantValue)
		}
	}
}
