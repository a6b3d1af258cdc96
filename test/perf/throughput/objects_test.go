package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	st "github.com/volplace/volplace/topology/testing"
)

func TestWorkloadVolumes(t *testing.T) {
	tests := []struct {
		name     string
		w        Workload
		want     int
		perZone  int // pods with a volume in every zone
		firstTen []bool
	}{
		{name: "all", w: Workload{Pods: 100, Zones: 10, VolumeFraction: 1}, want: 100, perZone: 10,
			firstTen: []bool{true, true, true, true, true, true, true, true, true, true}},
		{name: "half, alternating, still every zone", w: Workload{Pods: 100, Zones: 10, VolumeFraction: 0.5}, want: 50, perZone: 5,
			firstTen: []bool{false, true, false, true, false, true, false, true, false, true}},
		{name: "none", w: Workload{Pods: 100, Zones: 10}, want: 0, perZone: 0,
			firstTen: []bool{false, false, false, false, false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.VolumePods(); got != tt.want {
				t.Errorf("VolumePods() = %d, want %d", got, tt.want)
			}
			var first []bool
			zones := map[string]int{}
			for i := range tt.w.Pods {
				if i < 10 {
					first = append(first, tt.w.HasVolume(i))
				}
				if z := tt.w.PodZone(i); z != "" {
					zones[z]++
				}
			}
			if diff := cmp.Diff(tt.firstTen, first); diff != "" {
				t.Errorf("HasVolume of the first ten (-want,+got):\n%s", diff)
			}
			for z := range tt.w.Zones {
				if got := zones[tt.w.NodeZone(z)]; got != tt.perZone {
					t.Errorf("zone %s has %d pods with a volume, want %d", tt.w.NodeZone(z), got, tt.perZone)
				}
			}
		})
	}
}

func TestMisplaced(t *testing.T) {
	w := Workload{Nodes: 4, Pods: 4, Zones: 2, VolumeFraction: 0.5}
	// Pods 1 and 3 have volumes, in zones 0 and 1; nodes 0 and 2 are in
	// zone 0, nodes 1 and 3 in zone 1.
	bindings := []Binding{
		{Pod: namespace + "/" + PodName(0), Node: st.NodeName(1)}, // no volume: anywhere
		{Pod: namespace + "/" + PodName(1), Node: st.NodeName(2)}, // zone 0: right
		{Pod: namespace + "/" + PodName(3), Node: st.NodeName(0)}, // zone 1: wrong
	}
	if got := w.misplaced(bindings); got != 1 {
		t.Errorf("misplaced() = %d, want 1", got)
	}
}

func TestWorkloadProvisioned(t *testing.T) {
	w := Workload{Pods: 100, Zones: 10, VolumeFraction: 0.5, ProvisionFraction: 0.5}
	provisioned, bound := 0, 0
	for i := range w.Pods {
		switch {
		case w.Provisioned(i):
			provisioned++
			if !w.HasVolume(i) {
				t.Errorf("pod %d has a claim to provision and no volume", i)
			}
			if z := w.PodZone(i); z != "" {
				t.Errorf("pod %d, whose claim is to provision, is tied to zone %s", i, z)
			}
		case w.HasVolume(i):
			bound++
			if w.PodZone(i) == "" {
				t.Errorf("pod %d with a bound claim has no zone", i)
			}
		}
	}
	if provisioned != 25 || bound != 25 {
		t.Errorf("%d claims to provision and %d bound, want 25 and 25", provisioned, bound)
	}
}
