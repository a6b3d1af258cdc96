package plugin

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2/ktesting"
	fwk "k8s.io/kube-scheduler/framework"

	st "github.com/volplace/volplace/topology/testing"
)

// TestQueueingHints checks which events requeue a pod that uses the claim
// "data".
func TestQueueingHints(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	pod := st.MakePod("web").PVC("data").Obj()
	small, big := resource.MustParse("1Gi"), resource.MustParse("2Gi")
	withCapacity := func(q resource.Quantity) any {
		c := st.MakeCapacity("c", "wffc").Obj()
		c.Capacity = &q
		return c
	}
	tests := []struct {
		name     string
		hint     fwk.QueueingHintFn
		old, cur any
		want     fwk.QueueingHint
	}{
		{"the pod's claim changed", claimChanged, nil, st.MakePVC("data").Obj(), fwk.Queue},
		{"another claim changed", claimChanged, nil, st.MakePVC("logs").Obj(), fwk.QueueSkip},
		{"a claim of another namespace", claimChanged, nil, st.MakePVC("data").Namespace("other").Obj(), fwk.QueueSkip},
		{"a pod sharing the claim was bound", podChanged, nil, st.MakePod("peer").PVC("data").Node("n1").Obj(), fwk.Queue},
		{"a pod sharing the claim, unbound", podChanged, nil, st.MakePod("peer").PVC("data").Obj(), fwk.QueueSkip},
		{"a pod with claims went", podChanged, st.MakePod("gone").PVC("logs").Node("n1").Obj(), nil, fwk.Queue},
		// kube-scheduler sends an assumed pod whose binding failed, after
		// Unreserve, as a deleted assigned pod: what it held is free.
		{"an assumed pod with claims was forgotten", podChanged, st.MakePod("assumed").PVC("data").Node("n1").Obj(), nil, fwk.Queue},
		{"a pod without claims went", podChanged, st.MakePod("gone").EmptyDir("tmp").Node("n1").Obj(), nil, fwk.QueueSkip},
		{"the PV of the pod's claim appeared", volumeChanged, nil, st.MakePV("pv").BoundTo("default", "data").Obj(), fwk.Queue},
		{"an available PV appeared", volumeChanged, nil, st.MakePV("pv").Obj(), fwk.Queue},
		{"a PV was released of its claim", volumeChanged, st.MakePV("pv").BoundTo("default", "logs").Obj(), st.MakePV("pv").Obj(), fwk.Queue},
		{"another claim's PV appeared", volumeChanged, nil, st.MakePV("pv").BoundTo("default", "logs").Obj(), fwk.QueueSkip},
		{"a PV of a claim of the same name elsewhere", volumeChanged, nil, st.MakePV("pv").BoundTo("other", "data").Obj(), fwk.QueueSkip},
		{"a new CSINode", csiNodeChanged, nil, st.MakeCSINode("n1").Obj(), fwk.Queue},
		{"a CSINode registered a driver", csiNodeChanged, st.MakeCSINode("n1").Obj(), st.MakeCSINode("n1").Driver(driver).Obj(), fwk.Queue},
		{"a CSINode raised a limit", csiNodeChanged, st.MakeCSINode("n1").LimitedDriver(driver, 1).Obj(), st.MakeCSINode("n1").LimitedDriver(driver, 2).Obj(), fwk.Queue},
		{"a CSINode lowered a limit", csiNodeChanged, st.MakeCSINode("n1").LimitedDriver(driver, 2).Obj(), st.MakeCSINode("n1").LimitedDriver(driver, 1).Obj(), fwk.QueueSkip},
		{"capacity grew", capacityChanged, withCapacity(small), withCapacity(big), fwk.Queue},
		{"capacity shrank", capacityChanged, withCapacity(big), withCapacity(small), fwk.QueueSkip},
		{"new capacity", capacityChanged, nil, withCapacity(small), fwk.Queue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hint(logger, pod, tt.old, tt.cur)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := claimChanged(logger, pod, nil, st.MakePod("not-a-claim").Obj()); err == nil {
		t.Error("a hint given the wrong kind of object gave no error")
	}
}
