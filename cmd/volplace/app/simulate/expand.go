package simulate

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/topology"
)

// ExpandOptions are the options of Expand.
type ExpandOptions struct {
	// Replicas, when greater than 0, overrides the workload's count of pods:
	// a StatefulSet's or Deployment's spec.replicas, a Job's
	// spec.parallelism (each defaults to 1).
	Replicas int
	// Now is the creation time of the first generated object; the later
	// ones get 1ms more each, in the order the controllers create them
	// (ordinal by ordinal: a StatefulSet's claims, the pod, its ephemeral
	// claims). The zero Now leaves creation timestamps unset.
	Now time.Time
}

// MaxReplicas bounds the pods Expand generates for one workload.
const MaxReplicas = 100_000

// defaultNamespace is the namespace of a workload without one.
const defaultNamespace = metav1.NamespaceDefault

var (
	statefulSetKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	deploymentKind  = appsv1.SchemeGroupVersion.WithKind("Deployment")
	jobKind         = batchv1.SchemeGroupVersion.WithKind("Job")
	podKind         = corev1.SchemeGroupVersion.WithKind("Pod")
	claimKind       = corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim")
)

// IsWorkload reports whether Expand reads obj: an apps/v1 StatefulSet or
// Deployment or a batch/v1 Job.
func IsWorkload(obj runtime.Object) bool {
	switch obj.(type) {
	case *appsv1.StatefulSet, *appsv1.Deployment, *batchv1.Job:
		return true
	}
	return false
}

// SplitWorkloads separates the workloads Expand reads (see IsWorkload)
// from the cluster objects, keeping the order of each.
func SplitWorkloads(objs []runtime.Object) (cluster, workloads []runtime.Object) {
	for _, obj := range objs {
		if IsWorkload(obj) {
			workloads = append(workloads, obj)
		} else {
			cluster = append(cluster, obj)
		}
	}
	return cluster, workloads
}

// WorkloadName names a workload in messages, as "StatefulSet shop/web".
func WorkloadName(w runtime.Object) string {
	if w == nil || isNilPointer(w) {
		return "<nil> workload"
	}
	kind := cmp.Or(w.GetObjectKind().GroupVersionKind().Kind, reflect.TypeOf(w).String())
	switch w.(type) {
	case *appsv1.StatefulSet:
		kind = statefulSetKind.Kind
	case *appsv1.Deployment:
		kind = deploymentKind.Kind
	case *batchv1.Job:
		kind = jobKind.Kind
	}
	m, err := meta.Accessor(w)
	if err != nil {
		return kind
	}
	if m.GetName() == "" {
		return kind + " without a name"
	}
	return fmt.Sprintf("%s %s/%s", kind, cmp.Or(m.GetNamespace(), defaultNamespace), m.GetName())
}

// Expand returns the Pods and PersistentVolumeClaims the workload's
// controller would create, given the cluster objects (to reuse existing
// claims and pods and to default the StorageClass).
//
// A StatefulSet gives pods <set>-<ordinal> from spec.ordinals.start, with
// the claims <template>-<set>-<ordinal> of its volumeClaimTemplates, as the
// StatefulSet controller creates them. A Deployment gives pods
// <deployment>-planned-<i> and a Job <job>-planned-<i>, from 0 (a Job
// without Replicas gives spec.parallelism pods, at most spec.completions).
// The generic ephemeral volumes of every generated pod give the claims the
// ephemeral volume controller creates, owned by the pod. A pod or claim
// that exists in cluster (same namespace and name) is not generated: the
// pod is the cluster's state, the claim is used as it is. Generated claims
// without a class get the cluster's default StorageClass as
// kube-apiserver's DefaultStorageClass admission plugin gives it.
//
// Pods are returned by ordinal, claims in pod order then volume order.
// Generated pods are Pending, without a node, controlled by the workload
// (a Deployment's pods name the Deployment, not a ReplicaSet), and have
// UIDs derived from their namespace and name.
func Expand(w runtime.Object, cluster []runtime.Object, o ExpandOptions) (pods []*corev1.Pod, claims []*corev1.PersistentVolumeClaim, err error) {
	wl, err := readWorkload(w, o)
	if err != nil {
		return nil, nil, err
	}
	e := &expander{
		wl:       wl,
		existing: map[schema.GroupVersionKind]map[string]bool{podKind: {}, claimKind: {}},
		now:      o.Now,
	}
	for _, obj := range cluster {
		e.addCluster(obj)
	}
	for i := range wl.count {
		if err := e.expandOne(wl.start + i); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", wl.what, err)
		}
	}
	return e.pods, e.claims, nil
}

// workload is what Expand reads of a StatefulSet, Deployment or Job.
type workload struct {
	what      string // as WorkloadName gives it
	gvk       schema.GroupVersionKind
	namespace string
	name      string
	uid       types.UID
	template  *corev1.PodTemplateSpec
	set       *appsv1.StatefulSet // nil for a Deployment or Job
	start     int                 // first ordinal
	count     int                 // pods to create
}

func readWorkload(w runtime.Object, o ExpandOptions) (*workload, error) {
	what := WorkloadName(w)
	if w == nil || isNilPointer(w) {
		return nil, errors.New("cannot expand a nil workload")
	}
	wl := &workload{what: what}
	var objMeta *metav1.ObjectMeta
	var count *int32
	switch v := w.(type) {
	case *appsv1.StatefulSet:
		wl.gvk, objMeta, wl.template, wl.set, count = statefulSetKind, &v.ObjectMeta, &v.Spec.Template, v, v.Spec.Replicas
		if v.Spec.Ordinals != nil {
			wl.start = int(v.Spec.Ordinals.Start)
			if wl.start < 0 {
				return nil, fmt.Errorf("%s: spec.ordinals.start %d is negative", what, wl.start)
			}
		}
	case *appsv1.Deployment:
		wl.gvk, objMeta, wl.template, count = deploymentKind, &v.ObjectMeta, &v.Spec.Template, v.Spec.Replicas
	case *batchv1.Job:
		wl.gvk, objMeta, wl.template, count = jobKind, &v.ObjectMeta, &v.Spec.Template, v.Spec.Parallelism
		// The Job controller keeps at most the remaining completions active.
		if c := v.Spec.Completions; c != nil && *c >= 0 && *c < ptr.Deref(count, 1) {
			count = c
		}
	default:
		return nil, fmt.Errorf("cannot expand %s: not an apps/v1 StatefulSet or Deployment or a batch/v1 Job", what)
	}
	if objMeta.Name == "" {
		return nil, fmt.Errorf("cannot expand a %s", what)
	}
	wl.name = objMeta.Name
	wl.namespace = cmp.Or(objMeta.Namespace, defaultNamespace)
	wl.uid = cmp.Or(objMeta.UID, plannedUID(wl.gvk.Kind, wl.namespace, wl.name))
	switch {
	case o.Replicas < 0:
		return nil, fmt.Errorf("%s: replicas %d is negative", what, o.Replicas)
	case o.Replicas > 0:
		wl.count = o.Replicas
	case count == nil:
		wl.count = 1
	case *count < 0:
		return nil, fmt.Errorf("%s: replica count %d is negative", what, *count)
	default:
		wl.count = int(*count)
	}
	if wl.count > MaxReplicas {
		return nil, fmt.Errorf("%s: %d replicas are more than %d", what, wl.count, MaxReplicas)
	}
	if wl.set != nil {
		if err := checkClaimTemplates(wl.set.Spec.VolumeClaimTemplates); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return wl, nil
}

func checkClaimTemplates(templates []corev1.PersistentVolumeClaim) error {
	seen := make(map[string]bool, len(templates))
	for i, t := range templates {
		if t.Name == "" {
			return fmt.Errorf("spec.volumeClaimTemplates[%d] has no name", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("spec.volumeClaimTemplates[%d]: duplicate name %q", i, t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

// expander accumulates the objects of one Expand call.
type expander struct {
	wl           *workload
	existing     map[schema.GroupVersionKind]map[string]bool // namespace/name of cluster and generated objects
	defaultClass *storagev1.StorageClass
	now          time.Time
	created      int // generated objects so far, for creation timestamps
	pods         []*corev1.Pod
	claims       []*corev1.PersistentVolumeClaim
}

func (e *expander) addCluster(obj runtime.Object) {
	switch v := obj.(type) {
	case *corev1.Pod:
		if v != nil {
			e.existing[podKind][key(v.Namespace, v.Name)] = true
		}
	case *corev1.PersistentVolumeClaim:
		if v != nil {
			e.existing[claimKind][key(v.Namespace, v.Name)] = true
		}
	case *storagev1.StorageClass:
		if v != nil && topology.IsDefaultClass(v) && (e.defaultClass == nil || topology.CompareDefaultClasses(v, e.defaultClass) < 0) {
			e.defaultClass = v
		}
	}
}

func key(namespace, name string) string { return namespace + "/" + name }

// claim records a claim unless one of that name exists.
func (e *expander) claim(pvc *corev1.PersistentVolumeClaim) {
	k := key(pvc.Namespace, pvc.Name)
	if e.existing[claimKind][k] {
		return
	}
	e.existing[claimKind][k] = true
	if pvc.Spec.StorageClassName == nil && e.defaultClass != nil {
		if _, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; !ok {
			pvc.Spec.StorageClassName = ptr.To(e.defaultClass.Name)
		}
	}
	pvc.UID = plannedUID(claimKind.Kind, pvc.Namespace, pvc.Name)
	pvc.CreationTimestamp = e.tick()
	e.claims = append(e.claims, pvc)
}

// tick returns the creation time of the next generated object.
func (e *expander) tick() metav1.Time {
	if e.now.IsZero() {
		return metav1.Time{}
	}
	t := metav1.NewTime(e.now.Add(time.Duration(e.created) * time.Millisecond))
	e.created++
	return t
}

// expandOne generates the pod of ordinal i and its claims.
func (e *expander) expandOne(i int) error {
	wl := e.wl
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: podKind.GroupVersion().String(), Kind: podKind.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   wl.namespace,
			Labels:      maps.Clone(wl.template.Labels),
			Annotations: maps.Clone(wl.template.Annotations),
			Finalizers:  slices.Clone(wl.template.Finalizers),
			OwnerReferences: []metav1.OwnerReference{
				controllerRef(wl.gvk, wl.name, wl.uid),
			},
		},
		Spec:   *wl.template.Spec.DeepCopy(),
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if wl.set != nil {
		pod.Name = fmt.Sprintf("%s-%d", wl.name, i)
		pod.GenerateName = wl.name + "-"
	} else {
		pod.Name = fmt.Sprintf("%s-planned-%d", wl.name, i)
	}
	k := key(pod.Namespace, pod.Name)
	if e.existing[podKind][k] {
		return nil
	}
	e.existing[podKind][k] = true
	pod.UID = plannedUID(podKind.Kind, pod.Namespace, pod.Name)
	if wl.set != nil {
		e.statefulIdentity(pod, i)
	}
	pod.CreationTimestamp = e.tick()
	e.pods = append(e.pods, pod)
	for vi := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[vi]
		if vol.Ephemeral == nil {
			continue
		}
		t := vol.Ephemeral.VolumeClaimTemplate
		if t == nil {
			return fmt.Errorf("pod %s: ephemeral volume %q has no volumeClaimTemplate", pod.Name, vol.Name)
		}
		e.claim(&corev1.PersistentVolumeClaim{
			TypeMeta: metav1.TypeMeta{APIVersion: claimKind.GroupVersion().String(), Kind: claimKind.Kind},
			ObjectMeta: metav1.ObjectMeta{
				Name:        ephemeral.VolumeClaimName(pod, vol),
				Namespace:   pod.Namespace,
				Labels:      maps.Clone(t.Labels),
				Annotations: maps.Clone(t.Annotations),
				OwnerReferences: []metav1.OwnerReference{
					controllerRef(podKind, pod.Name, pod.UID),
				},
			},
			Spec: *t.Spec.DeepCopy(),
		})
	}
	return nil
}

// statefulIdentity gives pod the identity and volumes of ordinal i of the
// StatefulSet and records the claims of its volumeClaimTemplates, which the
// controller creates before the pod.
func (e *expander) statefulIdentity(pod *corev1.Pod, i int) {
	set := e.wl.set
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[appsv1.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[appsv1.PodIndexLabel] = fmt.Sprint(i)
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName

	templates := set.Spec.VolumeClaimTemplates
	volumes := make([]corev1.Volume, 0, len(templates)+len(pod.Spec.Volumes))
	replaced := make(map[string]bool, len(templates))
	var selector map[string]string
	if set.Spec.Selector != nil {
		selector = set.Spec.Selector.MatchLabels
	}
	for _, t := range templates {
		name := fmt.Sprintf("%s-%s-%d", t.Name, set.Name, i)
		replaced[t.Name] = true
		volumes = append(volumes, corev1.Volume{
			Name: t.Name,
			VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name},
			},
		})
		labels := maps.Clone(t.Labels)
		if labels == nil {
			labels = maps.Clone(selector)
		} else {
			maps.Copy(labels, selector)
		}
		pvc := &corev1.PersistentVolumeClaim{
			TypeMeta: metav1.TypeMeta{APIVersion: claimKind.GroupVersion().String(), Kind: claimKind.Kind},
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Namespace:   pod.Namespace,
				Labels:      labels,
				Annotations: maps.Clone(t.Annotations),
				Finalizers:  slices.Clone(t.Finalizers),
			},
			Spec: *t.Spec.DeepCopy(),
		}
		// The claim retention policy: a claim deleted with the set is
		// controlled by it (a pod within the replicas never owns its
		// claims).
		if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			pvc.OwnerReferences = []metav1.OwnerReference{controllerRef(statefulSetKind, set.Name, e.wl.uid)}
		}
		e.claim(pvc)
	}
	for _, v := range pod.Spec.Volumes {
		if !replaced[v.Name] {
			volumes = append(volumes, v)
		}
	}
	pod.Spec.Volumes = volumes
}

func controllerRef(gvk schema.GroupVersionKind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         gvk.GroupVersion().String(),
		Kind:               gvk.Kind,
		Name:               name,
		UID:                uid,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// plannedUID derives a UID, formatted as a UUID (version 8), from the kind,
// namespace and name of an object Expand generates.
func plannedUID(kind, namespace, name string) types.UID {
	sum := sha256.Sum256([]byte(strings.Join([]string{"volplace-planned", kind, namespace, name}, "/")))
	sum[6] = sum[6]&0x0f | 0x80
	sum[8] = sum[8]&0x3f | 0x80
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16]))
}

func isNilPointer(obj runtime.Object) bool {
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// ExpandWorkloads returns objs with each workload among them replaced by
// the pods and claims its controller would create (Expand); replicas, when
// positive, overrides every workload's replica count.
func ExpandWorkloads(objs []runtime.Object, replicas int, now time.Time) ([]runtime.Object, error) {
	cluster, workloads := SplitWorkloads(objs)
	for _, w := range workloads {
		pods, claims, err := Expand(w, cluster, ExpandOptions{Replicas: replicas, Now: now})
		if err != nil {
			return nil, err
		}
		for _, c := range claims {
			cluster = append(cluster, c)
		}
		for _, p := range pods {
			cluster = append(cluster, p)
		}
	}
	return cluster, nil
}
