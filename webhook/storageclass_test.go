package webhook

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	st "github.com/volplace/volplace/topology/testing"
)

func TestStorageClassBindingMode(t *testing.T) {
	immediate := func(name, provisioner string) *storagev1.StorageClass {
		return st.MakeStorageClass(name, provisioner).Immediate().Obj()
	}
	zonalDriver := []runtime.Object{st.MakeNode("n1").Obj(), st.MakeCSINode("n1").Driver("pd.csi.storage.gke.io", corev1.LabelTopologyZone).Obj()}
	forced := DefaultOptions()
	forced.BindingModes = map[string]storagev1.VolumeBindingMode{"nfs.csi.k8s.io": storagev1.VolumeBindingImmediate}
	wffc := storagev1.VolumeBindingWaitForFirstConsumer

	tests := []struct {
		name         string
		objs         []runtime.Object
		sc           *storagev1.StorageClass
		opts         *Options
		want         storagev1.VolumeBindingMode
		wantWarnings []string
	}{
		{
			name:         "local volumes wait for the consumer",
			sc:           immediate("local", "kubernetes.io/no-provisioner"),
			want:         wffc,
			wantWarnings: []string{"volumeBindingMode set to WaitForFirstConsumer: kubernetes.io/no-provisioner volumes are local and must bind where the pod is scheduled (annotate the class volplace.io/keep-immediate-binding=true to keep Immediate)"},
		},
		{
			name:         "CSI driver with topology keys",
			objs:         zonalDriver,
			sc:           immediate("pd", "pd.csi.storage.gke.io"),
			want:         wffc,
			wantWarnings: []string{"volumeBindingMode set to WaitForFirstConsumer: CSI driver pd.csi.storage.gke.io declares topology keys (topology.kubernetes.io/zone) on its nodes, so Immediate binding would provision before the pod's node is known (annotate the class volplace.io/keep-immediate-binding=true to keep Immediate)"},
		},
		{
			name: "driver without topology keeps Immediate",
			objs: []runtime.Object{st.MakeNode("n1").Obj(), st.MakeCSINode("n1").Driver("nfs.csi.k8s.io").Obj()},
			sc:   immediate("nfs", "nfs.csi.k8s.io"),
			want: storagev1.VolumeBindingImmediate,
		},
		{
			name: "opt-out annotation",
			objs: zonalDriver,
			sc:   st.MakeStorageClass("pd", "pd.csi.storage.gke.io").Immediate().Annotation(AnnKeepImmediate, "true").Obj(),
			want: storagev1.VolumeBindingImmediate,
		},
		{
			name:         "configured mode per provisioner",
			sc:           st.MakeStorageClass("nfs", "nfs.csi.k8s.io").Obj(),
			opts:         &forced,
			want:         storagev1.VolumeBindingImmediate,
			wantWarnings: []string{"volumeBindingMode set to Immediate by volplace's configuration for provisioner nfs.csi.k8s.io"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			d := &storageClassDefaulter{cluster: clusterOf(t, tt.objs...), opts: opts}
			ctx, warnings := collectWarnings()
			sc := tt.sc.DeepCopy()
			if err := d.Default(ctx, sc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, sc.VolumeBindingMode); diff != "" {
				t.Errorf("volumeBindingMode (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, *warnings, cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestStorageClassValidation(t *testing.T) {
	reject := DefaultOptions()
	reject.DefaultClassPolicy = PolicyReject
	nodes := []runtime.Object{st.MakeNode("n1").Zone("a").Obj(), st.MakeNode("n2").Zone("b").Obj()}
	tests := []struct {
		name         string
		objs         []runtime.Object
		sc           *storagev1.StorageClass
		update       bool
		opts         *Options
		wantErr      string
		wantWarnings []string
	}{
		{name: "plain class", sc: st.MakeStorageClass("fast", "ebs.csi.aws.com").Obj()},
		{
			name:    "Immediate local volumes",
			sc:      st.MakeStorageClass("local", "kubernetes.io/no-provisioner").Immediate().Obj(),
			wantErr: `StorageClass.storage.k8s.io "local" is invalid: volumeBindingMode: Invalid value: "Immediate": kubernetes.io/no-provisioner volumes are local: use WaitForFirstConsumer so that claims bind where their pod is scheduled`,
		},
		{
			name:   "existing Immediate local class may still be updated",
			sc:     st.MakeStorageClass("local", "kubernetes.io/no-provisioner").Immediate().Obj(),
			update: true,
		},
		{
			name:    "malformed access-modes annotation",
			sc:      st.MakeStorageClass("x", "csi.example.com").Annotation(AnnAccessModes, "ReadWriteOnce,RWX").Obj(),
			wantErr: `StorageClass.storage.k8s.io "x" is invalid: metadata.annotations[volplace.io/access-modes]: Invalid value: "ReadWriteOnce,RWX": unknown access mode "RWX" (known: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)`,
		},
		{
			name:    "second default under the reject policy",
			objs:    []runtime.Object{defaultClass("standard", 1)},
			sc:      defaultClass("premium", 2),
			opts:    &reject,
			wantErr: `StorageClass.storage.k8s.io "premium" is invalid: metadata.annotations: Forbidden: StorageClass standard is already the default, and volplace's default class policy is reject: only one class may be the default`,
		},
		{name: "second default under the newest policy", objs: []runtime.Object{defaultClass("standard", 1)}, sc: defaultClass("premium", 2)},
		{name: "updating the only default", objs: []runtime.Object{defaultClass("standard", 1)}, sc: defaultClass("standard", 1), update: true, opts: &reject},
		{
			name: "allowedTopologies no node matches",
			objs: nodes,
			sc:   st.MakeStorageClass("z", "pd.csi.storage.gke.io").AllowedTopology(corev1.LabelTopologyZone, "c", "d").AllowedTopology("rack", "r1").Obj(),
			wantWarnings: []string{
				"allowedTopologies[0].matchLabelExpressions[0].values: no node has topology.kubernetes.io/zone set to any of c, d",
				"allowedTopologies[1].matchLabelExpressions[0].key: no node has the label rack",
			},
		},
		{name: "allowedTopologies some node matches", objs: nodes, sc: st.MakeStorageClass("z", "x").AllowedTopology(corev1.LabelTopologyZone, "b", "c").Obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			v := &storageClassValidator{cluster: clusterOf(t, tt.objs...), opts: opts}
			var warnings []string
			var err error
			if tt.update {
				var w []string
				w, err = v.ValidateUpdate(context.Background(), tt.sc, tt.sc)
				warnings = w
			} else {
				var w []string
				w, err = v.ValidateCreate(context.Background(), tt.sc)
				warnings = w
			}
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Errorf("error (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings, cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
		})
	}
}
