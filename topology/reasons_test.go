package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReasons(t *testing.T) {
	tests := []struct {
		name        string
		add         func(*Reasons)
		wantString  string
		wantPrimary string
	}{
		{name: "none", add: func(*Reasons) {}},
		{
			name: "subjects of one message merge",
			add: func(rs *Reasons) {
				rs.add(CodeNodeConflict, ErrReasonNodeConflict, "pv-a", "", true)
				rs.add(CodeNodeConflict, ErrReasonNodeConflict, "pv-b", "", true)
				rs.add(CodeNodeConflict, ErrReasonNodeConflict, "pv-a", "", true)
			},
			wantString:  ErrReasonNodeConflict + " (pv-a, pv-b)",
			wantPrimary: ErrReasonNodeConflict + " (pv-a, pv-b)",
		},
		{
			name: "the first unresolvable reason is primary",
			add: func(rs *Reasons) {
				rs.add(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, "d", "", false)
				rs.add(CodeCSIDriverNotInstalled, csiDriverNotInstalled("d"), "", "", true)
			},
			wantString:  ErrReasonMaxVolumeCountExceeded + " (d), d CSI driver is not installed on the node",
			wantPrimary: "d CSI driver is not installed on the node",
		},
		{
			name: "else the first",
			add: func(rs *Reasons) {
				rs.add(CodeReadWriteOncePodConflict, ErrReasonReadWriteOncePodConflict, "c", "", false)
				rs.add(CodeMaxVolumeCountExceeded, ErrReasonMaxVolumeCountExceeded, "d", "", false)
			},
			wantString:  ErrReasonReadWriteOncePodConflict + " (c), " + ErrReasonMaxVolumeCountExceeded + " (d)",
			wantPrimary: ErrReasonReadWriteOncePodConflict + " (c)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs Reasons
			tt.add(&rs)
			if diff := cmp.Diff(tt.wantString, rs.String()); diff != "" {
				t.Errorf("String() (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPrimary, rs.Primary().String()); diff != "" {
				t.Errorf("Primary() (-want,+got):\n%s", diff)
			}
		})
	}
}
