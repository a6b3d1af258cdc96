package topology_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

func TestScore(t *testing.T) {
	na, nb, nc := st.MakeNode("na").Zone("a").Obj(), st.MakeNode("nb").Zone("b").Obj(), st.MakeNode("nc").Zone("c").Obj()
	capacityObjs := objects(na, nb, nc,
		st.MakeStorageClass("wffc", driver).Obj(),
		st.MakePVC("data").Class("wffc").Request("10Gi").Obj(),
		st.MakeCSIDriver(driver).StorageCapacity(true).Obj(),
		st.MakeCSINode("na").Driver(driver, zoneKey).Obj(), st.MakeCSINode("nb").Driver(driver, zoneKey).Obj(), st.MakeCSINode("nc").Driver(driver, zoneKey).Obj(),
		st.MakeCapacity("cap-a", "wffc").Topology(zoneKey, "a").Capacity("100Gi").Obj(),
		st.MakeCapacity("cap-b", "wffc").Topology(zoneKey, "b").Capacity("20Gi").Obj(),
		st.MakeCapacity("cap-c", "wffc").Topology(zoneKey, "c").Capacity("10Gi").Obj(),
	)
	binPack := topology.DefaultOptions()
	binPack.CapacityShape = []topology.ShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 10}}
	noCapacity := topology.DefaultOptions()
	noCapacity.Weights.Capacity = 0

	localityObjs := objects(na, nb,
		st.MakePVC("data").BoundTo("pv1").Obj(), st.MakePV("pv1").BoundTo("default", "data").CSI(driver, "h1").AccessModes(corev1.ReadWriteMany).Obj(),
		st.MakePVC("logs").BoundTo("pv2").Obj(), st.MakePV("pv2").BoundTo("default", "logs").CSI(driver, "h2").AccessModes(corev1.ReadWriteMany).Obj(),
		st.MakeCSINode("na").Driver(driver).Obj(), st.MakeCSINode("nb").Driver(driver).Obj(),
		st.MakeAttachment("va1", driver, "pv1", "na"), st.MakeAttachment("va2", driver, "pv2", "na"),
		st.MakePod("other").PVC("logs").Node("nb").Obj(),
	)

	tests := []struct {
		name string
		pod  *corev1.Pod
		opts *topology.Options
		want map[string]int64
	}{
		{
			name: "most free capacity wins by default",
			pod:  st.MakePod("p").PVC("data").Obj(),
			want: map[string]int64{"na": 9, "nb": 5, "nc": 0},
		},
		{
			name: "inverted shape bin-packs",
			pod:  st.MakePod("p").PVC("data").Obj(),
			opts: &binPack,
			want: map[string]int64{"na": 1, "nb": 5, "nc": 10},
		},
		{
			name: "zero weight turns capacity off",
			pod:  st.MakePod("p").PVC("data").Obj(),
			opts: &noCapacity,
			want: map[string]int64{"na": 0, "nb": 0, "nc": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scores(t, capacityObjs, tt.pod, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want,+got):\n%s", diff)
			}
		})
	}
	t.Run("locality counts bound volumes already on the node", func(t *testing.T) {
		got := scores(t, localityObjs, st.MakePod("p").PVC("data").PVC("logs").Obj(), nil)
		want := map[string]int64{"na": 10, "nb": 5}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("scores (-want,+got):\n%s", diff)
		}
	})
	t.Run("pod without claims scores zero", func(t *testing.T) {
		got := scores(t, capacityObjs, st.MakePod("p").Obj(), nil)
		want := map[string]int64{"na": 0, "nb": 0, "nc": 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("scores (-want,+got):\n%s", diff)
		}
	})
}
