package topology_test

import (
	"testing"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

func TestCSIDriverInstalled(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	n1, n2, n3 := st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj(), st.MakeNode("n3").Obj()
	bound := objects(st.MakePVC("data").BoundTo("pv1").Obj(), st.MakePV("pv1").BoundTo("default", "data").CSI(driver, "vol-1").Obj())
	notInstalled := unresolvable(driver + " CSI driver is not installed on the node")
	off := topology.DefaultOptions()
	off.RequireCSIDriver = false

	tests := []evalCase{
		{
			name: "bound CSI volume needs the driver in the node's CSINode",
			objs: append(objects(n1, n2, n3, st.MakeCSINode("n1").Driver(driver).Obj(), st.MakeCSINode("n2").Driver("other.example.com").Obj()), bound...),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": notInstalled, "n3": notInstalled},
		},
		{
			name: "rule switched off",
			objs: append(objects(n1, n2), bound...),
			pod:  pod,
			opts: &off,
			want: map[string]outcome{"n1": fits, "n2": fits},
		},
		{
			name: "claim to provision needs the class's CSI driver",
			objs: objects(n1, n2, st.MakeStorageClass("wffc", driver).Obj(), st.MakePVC("data").Class("wffc").Obj(),
				st.MakeCSIDriver(driver).Obj(), st.MakeCSINode("n1").Driver(driver).Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits, "n2": notInstalled},
		},
		{
			name: "provisioner without a CSIDriver object is not checked",
			objs: objects(n1, st.MakeStorageClass("wffc", "rancher.io/local-path").Obj(), st.MakePVC("data").Class("wffc").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "non-CSI bound volume is not checked",
			objs: objects(n1, st.MakePVC("data").BoundTo("pv1").Obj(), st.MakePV("pv1").BoundTo("default", "data").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": fits},
		},
	}
	runEvalCases(t, tests)
}
