package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

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
	// A default for volplace only, newer than defaultClass("standard", 1):
	// kube-apiserver's plugin does not pick it.
	volplaceDefault := st.MakeStorageClass("fast", "x").Annotation(AnnDefaultClass, "true").Obj()
	volplaceDefault.CreationTimestamp = metav1.Unix(5, 0)
	reject := DefaultOptions()
	reject.DefaultClassPolicy = PolicyReject

	tests := []struct {
		name         string
		objs         []runtime.Object
		pvc          *corev1.PersistentVolumeClaim
		opts         *Options
		op           admissionv1.Operation // "": no admission request in the context
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
		// kube-apiserver's DefaultStorageClass plugin filled the class in
		// before the webhook: no field manager owns it.
		{
			name:         "class filled in by kube-apiserver: the namespace default replaces it",
			objs:         []runtime.Object{defaultClass("standard", 1), gold},
			pvc:          filledIn(st.MakePVC("c").Namespace("team-a"), "standard"),
			wantClass:    ptr.To("gold"),
			wantWarnings: []string{`spec.storageClassName set to "gold": the default StorageClass of namespace team-a (annotation volplace.io/default-storage-class)`},
		},
		{
			name:         "class filled in by kube-apiserver without a namespace default: kept, with the warning",
			objs:         []runtime.Object{defaultClass("standard", 1), gold},
			pvc:          filledIn(st.MakePVC("c"), "standard"),
			wantClass:    ptr.To("standard"),
			wantWarnings: []string{`spec.storageClassName set to "standard": the cluster's default StorageClass`},
		},
		{
			name:         "class filled in by kube-apiserver: volplace's newest of several defaults",
			objs:         []runtime.Object{defaultClass("standard", 1), volplaceDefault},
			pvc:          filledIn(st.MakePVC("c"), "standard"),
			wantClass:    ptr.To("fast"),
			wantWarnings: []string{`spec.storageClassName set to "fast": the newest of 2 default StorageClasses (fast, standard), as kube-apiserver picks`},
		},
		{
			name:    "class filled in by kube-apiserver under the reject policy with several defaults",
			objs:    []runtime.Object{defaultClass("old", 1), defaultClass("new", 5)},
			pvc:     filledIn(st.MakePVC("c"), "new"),
			opts:    &reject,
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.storageClassName: Required value: 2 StorageClasses are marked default (new, old) and volplace's default class policy is reject: set spec.storageClassName`,
		},
		{
			name:    "class filled in by kube-apiserver, namespace default that does not exist",
			objs:    []runtime.Object{defaultClass("standard", 1)},
			pvc:     filledIn(st.MakePVC("c").Namespace("team-b"), "standard"),
			wantErr: `PersistentVolumeClaim "c" is invalid: spec.storageClassName: Invalid value: "missing": namespace team-b names this StorageClass as its default (annotation volplace.io/default-storage-class), and it does not exist`,
		},
		{
			name:      "class filled in by kube-apiserver on UPDATE is left alone",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       filledIn(st.MakePVC("c").Namespace("team-a"), "standard"),
			op:        admissionv1.Update,
			wantClass: ptr.To("standard"),
		},
		{
			name:      "unowned class volplace does not know is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       filledIn(st.MakePVC("c").Namespace("team-a"), "new-default"),
			wantClass: ptr.To("new-default"),
		},
		{
			name:      "unowned class that kube-apiserver does not take for a default is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold, volplaceDefault},
			pvc:       filledIn(st.MakePVC("c").Namespace("team-a"), "fast"),
			wantClass: ptr.To("fast"),
		},
		// The request wrote the class: some field manager owns it.
		{
			name:      "cluster default written by kubectl create is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       written(st.MakePVC("c").Namespace("team-a"), "standard", "kubectl-create", metav1.ManagedFieldsOperationUpdate),
			wantClass: ptr.To("standard"),
		},
		{
			name:      "cluster default written by client-side kubectl apply is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       written(st.MakePVC("c").Namespace("team-a"), "standard", "kubectl-client-side-apply", metav1.ManagedFieldsOperationUpdate),
			wantClass: ptr.To("standard"),
		},
		{
			name:      "cluster default written by server-side apply is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       written(st.MakePVC("c").Namespace("team-a"), "standard", "kubectl", metav1.ManagedFieldsOperationApply),
			wantClass: ptr.To("standard"),
		},
		{
			name:      "without managedFields a set class is kept",
			objs:      []runtime.Object{defaultClass("standard", 1), gold},
			pvc:       st.MakePVC("c").Namespace("team-a").Class("standard").Obj(),
			wantClass: ptr.To("standard"),
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
			if tt.op != "" {
				ctx = admission.NewContextWithRequest(ctx, admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: tt.op}})
			}
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

// requestFields is the FieldsV1 kube-apiserver records for a claim's create
// request without a class (kubectl create -f of a plain claim).
const requestFields = `{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:volumeMode":{}}}`

// filledIn returns the claim as kube-apiserver's DefaultStorageClass plugin
// leaves it: the request named no class, its field manager owns the
// request's fields only, and the plugin set the class.
func filledIn(w *st.PVCWrapper, class string) *corev1.PersistentVolumeClaim {
	pvc := w.Class(class).Obj()
	pvc.ManagedFields = []metav1.ManagedFieldsEntry{managedFields("kubectl-create", metav1.ManagedFieldsOperationUpdate, requestFields)}
	return pvc
}

// written returns the claim as a request that names the class leaves it:
// the manager owns spec.storageClassName.
func written(w *st.PVCWrapper, class, manager string, op metav1.ManagedFieldsOperationType) *corev1.PersistentVolumeClaim {
	pvc := w.Class(class).Obj()
	pvc.ManagedFields = []metav1.ManagedFieldsEntry{managedFields(manager, op,
		`{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:storageClassName":{},"f:volumeMode":{}}}`)}
	return pvc
}

func managedFields(manager string, op metav1.ManagedFieldsOperationType, fieldsV1 string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{
		Manager: manager, Operation: op, APIVersion: "v1",
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fieldsV1),
	}
}
