package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	st "github.com/volplace/volplace/topology/testing"
)

func namespaceLister(t *testing.T, namespaces ...*corev1.Namespace) corelisters.NamespaceLister {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, ns := range namespaces {
		if err := idx.Add(ns); err != nil {
			t.Fatal(err)
		}
	}
	return corelisters.NewNamespaceLister(idx)
}

func TestDefaultStorageClass(t *testing.T) {
	ns := &corev1.Namespace{}
	ns.Name = "team-a"
	ns.Annotations = map[string]string{AnnNamespaceDefaultClass: "gold"}
	badNS := &corev1.Namespace{}
	badNS.Name = "team-b"
	badNS.Annotations = map[string]string{AnnNamespaceDefaultClass: "missing"}
	gold := st.MakeStorageClass("gold", "ebs.csi.aws.com").Obj()
	reject := DefaultOptions()
	reject.DefaultClassPolicy = PolicyReject

	tests := []struct {
		name         string
		objs         []runtime.Object
		pvc          *corev1.PersistentVolumeClaim
		opts         *Options
		wantClass    *string
		wantWarnings []string
		wantErr      string
	}{
		{
			name:         "one default class",
			objs:         []runtime.Object{defaultClass("standard", 1), st.MakeStorageClass("other", "x").Obj()},
			pvc:          st.MakePVC("c").Obj(),
			wantClass:    ptr.To("standard"),
			wantWarnings: []string{`spec.storageClassName set to "standard": the cluster's default StorageClass`},
		},
		{
			name:      "no default class leaves the claim alone",
			objs:      []runtime.Object{st.MakeStorageClass("other", "x").Obj()},
			pvc:       st.MakePVC("c").Obj(),
			wantClass: nil,
		},
		{
			name:      "empty class means no class",
			objs:      []runtime.Object{defaultClass("standard", 1)},
			pvc:       st.MakePVC("c").Class("").Obj(),
			wantClass: ptr.To(""),
		},
		{
			name:      "explicit class is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       st.MakePVC("c").Class("gold").Obj(),
			wantClass: ptr.To("gold"),
		},
		{
			name:      "beta annotation counts as a class",
			objs:      []runtime.Object{defaultClass("standard", 1)},
			pvc:       st.MakePVC("c").Annotation(annBetaStorageClass, "gold").Obj(),
			wantClass: nil,
		},
		{
			name:         "several defaults: the newest wins",
			objs:         []runtime.Object{defaultClass("old", 1), defaultClass("new", 5), defaultClass("also-new", 5)},
			pvc:          st.MakePVC("c").Obj(),
			wantClass:    ptr.To("also-new"),
			wantWarnings: []string{`spec.storageClassName set to "also-new": the newest of 3 default StorageClasses (also-new, new, old), as kube-apiserver picks`},
		},
		{
			name:    "several defaults under the reject policy",
			objs:    []runtime.Object{defaultClass("old", 1), defaultClass("new", 5)},
			pvc:     st.MakePVC("c").Obj(),
			opts:    &reject,
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.storageClassName: Required value: 2 StorageClasses are marked default (new, old) and volplace's default class policy is reject: set spec.storageClassName`,
		},
		{
			name: "volplace's own default annotation",
			objs: []runtime.Object{st.MakeStorageClass("fast", "x").Annotation(AnnDefaultClass, "true").Obj()},
			pvc:  st.MakePVC("c").Obj(), wantClass: ptr.To("fast"),
			wantWarnings: []string{`spec.storageClassName set to "fast": the cluster's default StorageClass`},
		},
		{
			name:         "namespace default overrides the cluster default",
			objs:         []runtime.Object{defaultClass("standard", 1), gold},
			pvc:          st.MakePVC("c").Namespace("team-a").Obj(),
			wantClass:    ptr.To("gold"),
			wantWarnings: []string{`spec.storageClassName set to "gold": the default StorageClass of namespace team-a (annotation volplace.io/default-storage-class)`},
		},
		{
			name:    "namespace default that does not exist",
			objs:    []runtime.Object{defaultClass("standard", 1)},
			pvc:     st.MakePVC("c").Namespace("team-b").Obj(),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.storageClassName: Invalid value: "missing": namespace team-b names this StorageClass as its default (annotation volplace.io/default-storage-class), and it does not exist`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			d := &pvcDefaulter{defaults: classDefaults{cluster: clusterOf(t, tt.objs...), namespaces: namespaceLister(t, ns, badNS), policy: opts.DefaultClassPolicy}}
			ctx, warnings := collectWarnings()
			pvc := tt.pvc.DeepCopy()
			err := d.Default(ctx, pvc)
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Fatalf("error (-want,+got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.wantClass, pvc.Spec.StorageClassName); diff != "" {
				t.Errorf("storageClassName (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, *warnings, cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
			// Idempotent: a second pass changes nothing more.
			again := pvc.DeepCopy()
			if err := d.Default(ctx, again); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(pvc, again); diff != "" {
				t.Errorf("second pass changed the claim (-first,+second):\n%s", diff)
			}
		})
	}
}
