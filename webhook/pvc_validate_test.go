package webhook

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	st "github.com/volplace/volplace/topology/testing"
)

func TestAccessModes(t *testing.T) {
	ebs := st.MakeStorageClass("ebs", "ebs.csi.aws.com").Obj()
	efs := st.MakeStorageClass("efs", "efs.csi.aws.com").Obj()
	rook := st.MakeStorageClass("rook-fs", "rook-ceph.cephfs.csi.ceph.com").Obj()
	annotated := st.MakeStorageClass("custom", "csi.example.com").Annotation(AnnAccessModes, "ReadWriteOnce, ReadWriteMany").Obj()
	unknown := st.MakeStorageClass("mystery", "csi.example.com").Obj()
	local := st.MakeStorageClass("local", "kubernetes.io/no-provisioner").Obj()
	block := corev1.PersistentVolumeBlock
	blockClaim := func(name, class string, m ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
		pvc := st.MakePVC(name).Class(class).AccessModes(m...).Obj()
		pvc.Spec.VolumeMode = &block
		return pvc
	}
	configured := DefaultOptions()
	configured.Capabilities = map[string]Capabilities{"csi.example.com": {Filesystem: modes(rox)}}
	warnOnly := DefaultOptions()
	warnOnly.EnforceAccessModes = false

	tests := []struct {
		name         string
		objs         []runtime.Object
		pvc          *corev1.PersistentVolumeClaim
		opts         *Options
		wantWarnings []string
		wantErr      string
	}{
		{name: "supported mode", objs: []runtime.Object{ebs}, pvc: st.MakePVC("c").Class("ebs").Obj()},
		{
			name:    "RWX on an RWO-only class",
			objs:    []runtime.Object{ebs},
			pvc:     st.MakePVC("c").Class("ebs").AccessModes(corev1.ReadWriteMany).Obj(),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteMany": StorageClass ebs (provisioner ebs.csi.aws.com) supports ReadWriteOnce, ReadWriteOncePod (source: volplace's table of known provisioners)`,
		},
		{name: "RWX block on EBS (Multi-Attach)", objs: []runtime.Object{ebs}, pvc: blockClaim("c", "ebs", corev1.ReadWriteMany)},
		{
			name:    "block on a filesystem-only provisioner",
			objs:    []runtime.Object{efs},
			pvc:     blockClaim("c", "efs", corev1.ReadWriteOnce),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.volumeMode: Invalid value: "Block": StorageClass efs (provisioner efs.csi.aws.com) does not support raw block volumes (source: volplace's table of known provisioners)`,
		},
		{name: "Rook-prefixed driver name", objs: []runtime.Object{rook}, pvc: st.MakePVC("c").Class("rook-fs").AccessModes(corev1.ReadWriteMany).Obj()},
		{
			name:    "class annotation wins",
			objs:    []runtime.Object{annotated},
			pvc:     st.MakePVC("c").Class("custom").AccessModes(corev1.ReadWriteOncePod).Obj(),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteOncePod": StorageClass custom (provisioner csi.example.com) supports ReadWriteOnce, ReadWriteMany (source: annotation volplace.io/access-modes)`,
		},
		{
			name:    "configuration table",
			objs:    []runtime.Object{unknown},
			pvc:     st.MakePVC("c").Class("mystery").Obj(),
			opts:    &configured,
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.accessModes[0]: Invalid value: "ReadWriteOnce": StorageClass mystery (provisioner csi.example.com) supports ReadOnlyMany (source: volplace configuration)`,
		},
		{
			name:         "unknown provisioner is allowed with a warning",
			objs:         []runtime.Object{unknown},
			pvc:          st.MakePVC("c").Class("mystery").AccessModes(corev1.ReadWriteMany).Obj(),
			wantWarnings: []string{"volplace does not know which access modes provisioner csi.example.com supports; annotate StorageClass mystery with volplace.io/access-modes to check them"},
		},
		{
			name:         "warn-only mode",
			objs:         []runtime.Object{ebs},
			pvc:          st.MakePVC("c").Class("ebs").AccessModes(corev1.ReadWriteMany).Obj(),
			opts:         &warnOnly,
			wantWarnings: []string{`spec.accessModes[0]: Invalid value: "ReadWriteMany": StorageClass ebs (provisioner ebs.csi.aws.com) supports ReadWriteOnce, ReadWriteOncePod (source: volplace's table of known provisioners)`},
		},
		{
			name:    "malformed mode",
			objs:    []runtime.Object{ebs},
			pvc:     st.MakePVC("c").Class("ebs").AccessModes("ReadWriteSometimes").Obj(),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.accessModes[0]: Unsupported value: "ReadWriteSometimes": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"`,
		},
		{
			name:         "class that does not exist",
			pvc:          st.MakePVC("c").Class("later").Obj(),
			wantWarnings: []string{`StorageClass "later" does not exist: the claim stays Pending until it does, and its access modes were not checked`},
		},
		{name: "no class", pvc: st.MakePVC("c").Class("").AccessModes(corev1.ReadWriteMany).Obj()},
		{
			name: "static class with a matching PV",
			objs: []runtime.Object{local, st.MakePV("pv1").Class("local").Obj()},
			pvc:  st.MakePVC("c").Class("local").Obj(),
		},
		{
			name:         "static class without a matching PV",
			objs:         []runtime.Object{local, st.MakePV("pv1").Class("local").Obj()},
			pvc:          st.MakePVC("c").Class("local").AccessModes(corev1.ReadWriteMany).Obj(),
			wantWarnings: []string{"StorageClass local does not provision volumes, and none of its 1 unbound PersistentVolume(s) offers access modes ReadWriteMany with this volume mode: the claim stays Pending until one does"},
		},
		{
			name:         "ReadOnlyMany-only new volume",
			objs:         []runtime.Object{st.MakeStorageClass("pd", "pd.csi.storage.gke.io").Obj()},
			pvc:          st.MakePVC("c").Class("pd").AccessModes(corev1.ReadOnlyMany).Obj(),
			wantWarnings: []string{"the claim is ReadOnlyMany only, without dataSource and without a matching PersistentVolume: a new volume would be empty and could never be written"},
		},
		{
			name: "ReadOnlyMany-only clone",
			objs: []runtime.Object{st.MakeStorageClass("pd", "pd.csi.storage.gke.io").Obj()},
			pvc: func() *corev1.PersistentVolumeClaim {
				pvc := st.MakePVC("c").Class("pd").AccessModes(corev1.ReadOnlyMany).Obj()
				pvc.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "PersistentVolumeClaim", Name: "golden"}
				return pvc
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			v := &pvcValidator{cluster: clusterOf(t, tt.objs...), opts: opts}
			warnings, err := v.ValidateCreate(context.Background(), tt.pvc)
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Errorf("error (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, []string(warnings), cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestAccessModesOnUpdate(t *testing.T) {
	v := &pvcValidator{cluster: clusterOf(t, st.MakeStorageClass("ebs", "ebs.csi.aws.com").Obj()), opts: DefaultOptions()}
	old := st.MakePVC("c").AccessModes(corev1.ReadWriteMany).Obj()
	old.Spec.StorageClassName = nil
	resized := st.MakePVC("c").Class("ebs").AccessModes(corev1.ReadWriteMany).Request("5Gi").Obj()
	oldWithClass := st.MakePVC("c").Class("ebs").AccessModes(corev1.ReadWriteMany).Obj()
	if _, err := v.ValidateUpdate(context.Background(), oldWithClass, resized); err != nil {
		t.Errorf("update without class change: %v", err)
	}
	if _, err := v.ValidateUpdate(context.Background(), old, resized); err == nil {
		t.Errorf("class assigned to a claim whose modes it cannot serve was allowed")
	}
}

func TestDeletionGuard(t *testing.T) {
	claim := st.MakePVC("data").Obj()
	running := st.MakePod("web-0").PVC("data").Node("n1").Obj()
	pending := st.MakePod("web-1").PVC("data").Obj()
	done := st.MakePod("job").PVC("data").Node("n2").Phase(corev1.PodSucceeded).Obj()
	ephemeralUser := st.MakePod("eph").Ephemeral("scratch").Node("n3").Obj()
	countFinished := DefaultOptions()
	countFinished.CountFinishedPods = true
	off := DefaultOptions()
	off.DeletionGuard = false
	many := []runtime.Object{}
	for _, name := range []string{"p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11"} {
		many = append(many, st.MakePod(name).PVC("data").Node("n1").Obj())
	}
	crowd := []runtime.Object{}
	for i := range 25 {
		crowd = append(crowd, st.MakePod(fmt.Sprintf("c%02d", i)).PVC("data").Node("n1").Obj())
	}
	unrelated := st.MakePod("other").Node("n1").Obj()

	tests := []struct {
		name         string
		cached       []runtime.Object
		live         []runtime.Object // nil: no live client
		pvc          *corev1.PersistentVolumeClaim
		opts         *Options
		wantErr      string
		wantWarnings []string
	}{
		{name: "unused claim", cached: []runtime.Object{done}, pvc: claim},
		{
			name:    "running and pending users are named",
			cached:  []runtime.Object{running, pending, done},
			pvc:     claim,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/web-0 (node n1), default/web-1 (not scheduled); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:    "finished pods count when configured",
			cached:  []runtime.Object{done},
			pvc:     claim,
			opts:    &countFinished,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/job (node n2); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:    "generic ephemeral claim",
			cached:  []runtime.Object{ephemeralUser},
			pvc:     st.MakePVC("eph-scratch").Obj(),
			wantErr: `persistentvolumeclaim "default/eph-scratch" is in use by pod(s) default/eph (node n3); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:    "at most ten pods are named",
			cached:  many,
			pvc:     claim,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/p00 (node n1), default/p01 (node n1), default/p02 (node n1), default/p03 (node n1), default/p04 (node n1), default/p05 (node n1), default/p06 (node n1), default/p07 (node n1), default/p08 (node n1), default/p09 (node n1), and 2 more; delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:         "bypass annotation",
			cached:       []runtime.Object{running},
			pvc:          st.MakePVC("data").Annotation(AnnAllowDeleteInUse, "true").Obj(),
			wantWarnings: []string{`persistentvolumeclaim "default/data" is in use by pod(s) default/web-0 (node n1); deleting anyway (annotation volplace.io/allow-delete-in-use): the claim stays Terminating until they stop`},
		},
		{name: "guard switched off", cached: []runtime.Object{running}, pvc: claim, opts: &off},
		{
			name:   "live read clears a stale cache",
			cached: []runtime.Object{running},
			live:   []runtime.Object{done},
			pvc:    claim,
		},
		{
			name:   "live read: the pod the cache names is gone",
			cached: []runtime.Object{running},
			live:   []runtime.Object{unrelated},
			pvc:    claim,
		},
		{
			name:   "live read: the pod finished",
			cached: []runtime.Object{running},
			live:   []runtime.Object{st.MakePod("web-0").PVC("data").Node("n1").Phase(corev1.PodFailed).Obj()},
			pvc:    claim,
		},
		{
			name:    "live read: one of two users is gone",
			cached:  []runtime.Object{running, pending},
			live:    []runtime.Object{pending.DeepCopy()},
			pvc:     claim,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/web-1 (not scheduled); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:    "live read: users past the twentieth are taken from the cache",
			cached:  crowd,
			live:    []runtime.Object{unrelated},
			pvc:     claim,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/c20 (node n1), default/c21 (node n1), default/c22 (node n1), default/c23 (node n1), default/c24 (node n1); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
		{
			name:    "live read confirms",
			cached:  []runtime.Object{running},
			live:    []runtime.Object{running.DeepCopy()},
			pvc:     claim,
			wantErr: `persistentvolumeclaim "default/data" is in use by pod(s) default/web-0 (node n1); delete them first, or annotate the claim volplace.io/allow-delete-in-use=true`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			v := &pvcValidator{cluster: clusterOf(t, tt.cached...), opts: opts}
			if tt.live != nil {
				v.client = fake.NewClientset(tt.live...)
			}
			warnings, err := v.ValidateDelete(context.Background(), tt.pvc)
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Errorf("error (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, []string(warnings), cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
		})
	}
}
