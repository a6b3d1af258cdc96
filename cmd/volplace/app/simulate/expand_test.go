package simulate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// Builders of inputs.

func claimTemplate(name, size string) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			},
		},
	}
}

func withClass(t corev1.PersistentVolumeClaim, class string) corev1.PersistentVolumeClaim {
	t.Spec.StorageClassName = ptr.To(class)
	return t
}

func withLabels(t corev1.PersistentVolumeClaim, labels map[string]string) corev1.PersistentVolumeClaim {
	t.Labels = labels
	return t
}

func podTemplate(app string, volumes ...corev1.Volume) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			SchedulerName: "volplace",
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
			Volumes:       volumes,
		},
	}
}

func emptyDirVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}

func ephemeralVolume(name, size string) corev1.Volume {
	t := claimTemplate("", size)
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
		VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"scratch": name}},
			Spec:       t.Spec,
		},
	}}}
}

func statefulSet(namespace, name string, replicas *int32, templates ...corev1.PersistentVolumeClaim) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: "set-uid"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:             replicas,
			ServiceName:          name + "-headless",
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template:             podTemplate(name),
			VolumeClaimTemplates: templates,
		},
	}
}

func deployment(namespace, name string, replicas *int32, volumes ...corev1.Volume) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, volumes...),
		},
	}
}

func job(namespace, name string, parallelism, completions *int32, volumes ...corev1.Volume) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: batchv1.JobSpec{
			Parallelism: parallelism,
			Completions: completions,
			Template:    podTemplate(name, volumes...),
		},
	}
}

func existingPod(namespace, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: corev1.PodSpec{NodeName: "n1"}}
}

func existingClaim(namespace, name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
}

func storageClass(name string, isDefault bool, created time.Time) *storagev1.StorageClass {
	class := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Provisioner: "csi.example.com",
	}
	if isDefault {
		class.Annotations = map[string]string{topology.AnnIsDefaultClass: "true"}
	}
	return class
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// summary describes the generated objects in one line each: a pod's
// volumes and a claim's class, labels and controller.
func summary(pods []*corev1.Pod, claims []*corev1.PersistentVolumeClaim) []string {
	out := []string{}
	for _, pod := range pods {
		var vols []string
		for _, v := range pod.Spec.Volumes {
			switch {
			case v.PersistentVolumeClaim != nil:
				vols = append(vols, v.Name+"=pvc:"+v.PersistentVolumeClaim.ClaimName)
			case v.Ephemeral != nil:
				vols = append(vols, v.Name+"=ephemeral")
			case v.EmptyDir != nil:
				vols = append(vols, v.Name+"=emptyDir")
			default:
				vols = append(vols, v.Name+"=other")
			}
		}
		out = append(out, fmt.Sprintf("pod %s/%s [%s]", pod.Namespace, pod.Name, strings.Join(vols, " ")))
	}
	for _, pvc := range claims {
		class := "<nil>"
		if pvc.Spec.StorageClassName != nil {
			class = fmt.Sprintf("%q", *pvc.Spec.StorageClassName)
		}
		line := fmt.Sprintf("pvc %s/%s class=%s labels=%v", pvc.Namespace, pvc.Name, class, pvc.Labels)
		if ref := metav1.GetControllerOfNoCopy(pvc); ref != nil {
			line += " controller=" + ref.Kind + "/" + ref.Name
		}
		out = append(out, line)
	}
	return out
}

func TestExpandStatefulSet(t *testing.T) {
	data := claimTemplate("data", "1Gi")
	tests := []struct {
		name    string
		set     *appsv1.StatefulSet
		cluster []runtime.Object
		opts    ExpandOptions
		want    []string
	}{
		{
			name: "one replica by default in namespace default",
			set:  statefulSet("", "web", nil, data),
			want: []string{
				"pod default/web-0 [data=pvc:data-web-0]",
				"pvc default/data-web-0 class=<nil> labels=map[app:web]",
			},
		},
		{
			name: "spec.replicas from ordinals.start",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", ptr.To[int32](2), data)
				s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 5}
				return s
			}(),
			want: []string{
				"pod shop/web-5 [data=pvc:data-web-5]",
				"pod shop/web-6 [data=pvc:data-web-6]",
				"pvc shop/data-web-5 class=<nil> labels=map[app:web]",
				"pvc shop/data-web-6 class=<nil> labels=map[app:web]",
			},
		},
		{
			name: "replicas option overrides spec.replicas",
			set:  statefulSet("shop", "web", ptr.To[int32](1), data, claimTemplate("logs", "1Gi")),
			opts: ExpandOptions{Replicas: 2},
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0 logs=pvc:logs-web-0]",
				"pod shop/web-1 [data=pvc:data-web-1 logs=pvc:logs-web-1]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web]",
				"pvc shop/logs-web-0 class=<nil> labels=map[app:web]",
				"pvc shop/data-web-1 class=<nil> labels=map[app:web]",
				"pvc shop/logs-web-1 class=<nil> labels=map[app:web]",
			},
		},
		{
			name:    "existing claim is reused",
			set:     statefulSet("shop", "web", ptr.To[int32](3), data),
			cluster: []runtime.Object{existingClaim("shop", "data-web-1"), existingClaim("other", "data-web-2")},
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0]",
				"pod shop/web-1 [data=pvc:data-web-1]",
				"pod shop/web-2 [data=pvc:data-web-2]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web]",
				"pvc shop/data-web-2 class=<nil> labels=map[app:web]",
			},
		},
		{
			name:    "existing pod is the cluster's state",
			set:     statefulSet("shop", "web", ptr.To[int32](2), data),
			cluster: []runtime.Object{existingPod("shop", "web-0"), existingClaim("shop", "data-web-0")},
			want: []string{
				"pod shop/web-1 [data=pvc:data-web-1]",
				"pvc shop/data-web-1 class=<nil> labels=map[app:web]",
			},
		},
		{
			name: "default class: the newest, then the first by name",
			set: statefulSet("shop", "web", nil, data,
				withClass(claimTemplate("explicit", "1Gi"), "slow"),
				withClass(claimTemplate("none", "1Gi"), "")),
			cluster: []runtime.Object{
				storageClass("old-default", true, t0),
				storageClass("b-default", true, t0.Add(time.Hour)),
				storageClass("a-default", true, t0.Add(time.Hour)),
				storageClass("newest", false, t0.Add(2*time.Hour)),
			},
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0 explicit=pvc:explicit-web-0 none=pvc:none-web-0]",
				`pvc shop/data-web-0 class="a-default" labels=map[app:web]`,
				`pvc shop/explicit-web-0 class="slow" labels=map[app:web]`,
				`pvc shop/none-web-0 class="" labels=map[app:web]`,
			},
		},
		{
			name: "beta class annotation counts as a class",
			set: func() *appsv1.StatefulSet {
				beta := data
				beta.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: "slow"}
				return statefulSet("shop", "web", nil, beta)
			}(),
			cluster: []runtime.Object{storageClass("fast", true, t0)},
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web]",
			},
		},
		{
			name: "template volume of the same name is replaced",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", nil, data)
				s.Spec.Template.Spec.Volumes = []corev1.Volume{emptyDirVolume("cache"), emptyDirVolume("data")}
				return s
			}(),
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0 cache=emptyDir]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web]",
			},
		},
		{
			name: "claim labels: the template's and the selector's",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", nil, withLabels(data, map[string]string{"tier": "db", "app": "mine"}))
				s.Spec.Selector.MatchLabels["role"] = "primary"
				return s
			}(),
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web role:primary tier:db]",
			},
		},
		{
			name: "no selector and no template labels",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", nil, data)
				s.Spec.Selector = nil
				return s
			}(),
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0]",
				"pvc shop/data-web-0 class=<nil> labels=map[]",
			},
		},
		{
			name: "claims deleted with the set are controlled by it",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", nil, data)
				s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
				}
				return s
			}(),
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0]",
				"pvc shop/data-web-0 class=<nil> labels=map[app:web] controller=StatefulSet/web",
			},
		},
		{
			name: "ephemeral volume after the claim templates",
			set: func() *appsv1.StatefulSet {
				s := statefulSet("shop", "web", ptr.To[int32](2), data)
				s.Spec.Template.Spec.Volumes = []corev1.Volume{ephemeralVolume("scratch", "1Gi")}
				return s
			}(),
			cluster: []runtime.Object{storageClass("fast", true, t0)},
			want: []string{
				"pod shop/web-0 [data=pvc:data-web-0 scratch=ephemeral]",
				"pod shop/web-1 [data=pvc:data-web-1 scratch=ephemeral]",
				`pvc shop/data-web-0 class="fast" labels=map[app:web]`,
				`pvc shop/web-0-scratch class="fast" labels=map[scratch:scratch] controller=Pod/web-0`,
				`pvc shop/data-web-1 class="fast" labels=map[app:web]`,
				`pvc shop/web-1-scratch class="fast" labels=map[scratch:scratch] controller=Pod/web-1`,
			},
		},
		{
			name: "zero replicas",
			set:  statefulSet("shop", "web", ptr.To[int32](0), data),
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, claims, err := Expand(tt.set, tt.cluster, tt.opts)
			if err != nil {
				t.Fatalf("Expand() = %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(pods, claims)); diff != "" {
				t.Errorf("Expand() (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestExpandStatefulSetObjects compares whole objects: identity, labels,
// spec, owner and timestamps.
func TestExpandStatefulSetObjects(t *testing.T) {
	set := statefulSet("shop", "web", ptr.To[int32](1), claimTemplate("data", "1Gi"))
	set.Spec.Template.Annotations = map[string]string{"a": "b"}
	set.Spec.Template.Spec.PriorityClassName = "high"
	set.Spec.Template.Spec.Priority = ptr.To[int32](1000)
	set.Spec.Template.Spec.Volumes = []corev1.Volume{ephemeralVolume("scratch", "2Gi")}
	pods, claims, err := Expand(set, nil, ExpandOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}

	setRef := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "set-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
	podUID := plannedUID("Pod", "shop", "web-0")
	podRef := metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "web-0", UID: podUID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
	claimType := metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	wantPod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              "web-0",
			GenerateName:      "web-",
			Namespace:         "shop",
			UID:               podUID,
			CreationTimestamp: metav1.NewTime(t0.Add(time.Millisecond)),
			Labels:            map[string]string{"app": "web", appsv1.StatefulSetPodNameLabel: "web-0", appsv1.PodIndexLabel: "0"},
			Annotations:       map[string]string{"a": "b"},
			OwnerReferences:   []metav1.OwnerReference{setRef},
		},
		Spec: corev1.PodSpec{
			SchedulerName:     "volplace",
			PriorityClassName: "high",
			Priority:          ptr.To[int32](1000),
			Hostname:          "web-0",
			Subdomain:         "web-headless",
			Containers:        []corev1.Container{{Name: "c", Image: "busybox"}},
			Volumes: []corev1.Volume{
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-web-0"}}},
				ephemeralVolume("scratch", "2Gi"),
			},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	wantClaims := []*corev1.PersistentVolumeClaim{
		{
			TypeMeta: claimType,
			ObjectMeta: metav1.ObjectMeta{
				Name:              "data-web-0",
				Namespace:         "shop",
				UID:               plannedUID("PersistentVolumeClaim", "shop", "data-web-0"),
				CreationTimestamp: metav1.NewTime(t0),
				Labels:            map[string]string{"app": "web"},
			},
			Spec: claimTemplate("data", "1Gi").Spec,
		},
		{
			TypeMeta: claimType,
			ObjectMeta: metav1.ObjectMeta{
				Name:              "web-0-scratch",
				Namespace:         "shop",
				UID:               plannedUID("PersistentVolumeClaim", "shop", "web-0-scratch"),
				CreationTimestamp: metav1.NewTime(t0.Add(2 * time.Millisecond)),
				Labels:            map[string]string{"scratch": "scratch"},
				OwnerReferences:   []metav1.OwnerReference{podRef},
			},
			Spec: claimTemplate("", "2Gi").Spec,
		},
	}
	if diff := cmp.Diff([]*corev1.Pod{wantPod}, pods); diff != "" {
		t.Errorf("pods (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(wantClaims, claims); diff != "" {
		t.Errorf("claims (-want,+got):\n%s", diff)
	}
}

func TestExpandDeploymentAndJob(t *testing.T) {
	scratch := ephemeralVolume("scratch", "1Gi")
	tests := []struct {
		name    string
		w       runtime.Object
		cluster []runtime.Object
		opts    ExpandOptions
		want    []string
	}{
		{
			name:    "Deployment with an ephemeral volume",
			w:       deployment("shop", "api", ptr.To[int32](2), emptyDirVolume("cache"), scratch),
			cluster: []runtime.Object{storageClass("fast", true, t0)},
			want: []string{
				"pod shop/api-planned-0 [cache=emptyDir scratch=ephemeral]",
				"pod shop/api-planned-1 [cache=emptyDir scratch=ephemeral]",
				`pvc shop/api-planned-0-scratch class="fast" labels=map[scratch:scratch] controller=Pod/api-planned-0`,
				`pvc shop/api-planned-1-scratch class="fast" labels=map[scratch:scratch] controller=Pod/api-planned-1`,
			},
		},
		{
			name: "Deployment replicas option",
			w:    deployment("", "api", nil),
			opts: ExpandOptions{Replicas: 3},
			want: []string{"pod default/api-planned-0 []", "pod default/api-planned-1 []", "pod default/api-planned-2 []"},
		},
		{
			name: "Deployment of one replica by default",
			w:    deployment("shop", "api", nil),
			want: []string{"pod shop/api-planned-0 []"},
		},
		{
			name: "Job: parallelism, at most completions",
			w:    job("batch", "etl", ptr.To[int32](3), ptr.To[int32](2), scratch),
			want: []string{
				"pod batch/etl-planned-0 [scratch=ephemeral]",
				"pod batch/etl-planned-1 [scratch=ephemeral]",
				"pvc batch/etl-planned-0-scratch class=<nil> labels=map[scratch:scratch] controller=Pod/etl-planned-0",
				"pvc batch/etl-planned-1-scratch class=<nil> labels=map[scratch:scratch] controller=Pod/etl-planned-1",
			},
		},
		{
			name: "Job: one pod by default",
			w:    job("batch", "etl", nil, nil),
			want: []string{"pod batch/etl-planned-0 []"},
		},
		{
			name: "Job: replicas option overrides parallelism and completions",
			w:    job("batch", "etl", ptr.To[int32](1), ptr.To[int32](1)),
			opts: ExpandOptions{Replicas: 2},
			want: []string{"pod batch/etl-planned-0 []", "pod batch/etl-planned-1 []"},
		},
		{
			name:    "existing ephemeral claim and pod are not generated",
			w:       job("batch", "etl", ptr.To[int32](3), nil, scratch),
			cluster: []runtime.Object{existingClaim("batch", "etl-planned-0-scratch"), existingPod("batch", "etl-planned-1")},
			want: []string{
				"pod batch/etl-planned-0 [scratch=ephemeral]",
				"pod batch/etl-planned-2 [scratch=ephemeral]",
				"pvc batch/etl-planned-2-scratch class=<nil> labels=map[scratch:scratch] controller=Pod/etl-planned-2",
			},
		},
		{
			name:    "nil cluster objects are ignored",
			w:       job("batch", "etl", nil, nil),
			cluster: []runtime.Object{nil, (*corev1.Pod)(nil), (*corev1.PersistentVolumeClaim)(nil), (*storagev1.StorageClass)(nil)},
			want:    []string{"pod batch/etl-planned-0 []"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, claims, err := Expand(tt.w, tt.cluster, tt.opts)
			if err != nil {
				t.Fatalf("Expand() = %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(pods, claims)); diff != "" {
				t.Errorf("Expand() (-want,+got):\n%s", diff)
			}
			// Every pod is controlled by the workload, every claim is the
			// ephemeral volume of a generated pod.
			byName := map[string]*corev1.Pod{}
			for _, pod := range pods {
				byName[pod.Name] = pod
				ref := metav1.GetControllerOfNoCopy(pod)
				if ref == nil || ref.Name != strings.SplitN(pod.Name, "-planned-", 2)[0] {
					t.Errorf("pod %s: controller %+v", pod.Name, ref)
				}
				if pod.Spec.NodeName != "" || pod.Status.Phase != corev1.PodPending || pod.UID == "" {
					t.Errorf("pod %s: node %q, phase %q, UID %q", pod.Name, pod.Spec.NodeName, pod.Status.Phase, pod.UID)
				}
			}
			for _, pvc := range claims {
				ref := metav1.GetControllerOfNoCopy(pvc)
				if ref == nil || byName[ref.Name] == nil {
					t.Fatalf("claim %s: controller %+v is not a generated pod", pvc.Name, ref)
				}
				pod := byName[ref.Name]
				if err := ephemeral.VolumeIsForPod(pod, pvc); err != nil {
					t.Errorf("VolumeIsForPod(%s, %s) = %v", pod.Name, pvc.Name, err)
				}
				if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool {
					return v.Ephemeral != nil && ephemeral.VolumeClaimName(pod, &v) == pvc.Name
				}) {
					t.Errorf("claim %s is not named after a volume of pod %s", pvc.Name, pod.Name)
				}
			}
		})
	}
}

func TestExpandTimestamps(t *testing.T) {
	set := statefulSet("shop", "web", ptr.To[int32](3), claimTemplate("data", "1Gi"))
	set.Spec.Template.Spec.Volumes = []corev1.Volume{ephemeralVolume("scratch", "1Gi")}
	cluster := []runtime.Object{existingClaim("shop", "data-web-1"), existingPod("shop", "web-2")}
	pods, claims, err := Expand(set, cluster, ExpandOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pod := range pods {
		got = append(got, fmt.Sprintf("pod %s +%v", pod.Name, pod.CreationTimestamp.Sub(t0)))
	}
	for _, pvc := range claims {
		got = append(got, fmt.Sprintf("pvc %s +%v", pvc.Name, pvc.CreationTimestamp.Sub(t0)))
	}
	want := []string{
		"pod web-0 +1ms",
		"pod web-1 +3ms",
		"pvc data-web-0 +0s",
		"pvc web-0-scratch +2ms",
		"pvc web-1-scratch +4ms",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("creation times (-want,+got):\n%s", diff)
	}

	pods, claims, err = Expand(set, cluster, ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods {
		if !pod.CreationTimestamp.IsZero() {
			t.Errorf("pod %s: creation time %v without Now", pod.Name, pod.CreationTimestamp)
		}
	}
	for _, pvc := range claims {
		if !pvc.CreationTimestamp.IsZero() {
			t.Errorf("claim %s: creation time %v without Now", pvc.Name, pvc.CreationTimestamp)
		}
	}
}

// TestExpandKeepsInputs checks that Expand changes neither the workload nor
// the cluster objects, and that two calls give the same objects.
func TestExpandKeepsInputs(t *testing.T) {
	set := statefulSet("shop", "web", ptr.To[int32](2), claimTemplate("data", "1Gi"), withLabels(claimTemplate("logs", "1Gi"), map[string]string{"tier": "db"}))
	set.Spec.Template.Spec.Volumes = []corev1.Volume{emptyDirVolume("data"), ephemeralVolume("scratch", "1Gi")}
	cluster := []runtime.Object{existingClaim("shop", "data-web-1"), storageClass("fast", true, t0)}
	wantSet, wantCluster := set.DeepCopy(), []runtime.Object{cluster[0].DeepCopyObject(), cluster[1].DeepCopyObject()}

	pods1, claims1, err := Expand(set, cluster, ExpandOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	// Changing the output must not change the inputs either.
	for _, pod := range pods1 {
		pod.Labels["x"] = "y"
	}
	for _, pvc := range claims1 {
		if pvc.Labels != nil {
			pvc.Labels["x"] = "y"
		}
	}
	if diff := cmp.Diff(wantSet, set); diff != "" {
		t.Errorf("workload changed (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCluster, cluster); diff != "" {
		t.Errorf("cluster changed (-want,+got):\n%s", diff)
	}
	pods1, claims1, _ = Expand(set, cluster, ExpandOptions{Now: t0})
	pods2, claims2, err := Expand(set, cluster, ExpandOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pods1, pods2); diff != "" {
		t.Errorf("pods differ between calls (-first,+second):\n%s", diff)
	}
	if diff := cmp.Diff(claims1, claims2); diff != "" {
		t.Errorf("claims differ between calls (-first,+second):\n%s", diff)
	}
}

func TestExpandErrors(t *testing.T) {
	data := claimTemplate("data", "1Gi")
	tests := []struct {
		name    string
		w       runtime.Object
		opts    ExpandOptions
		wantErr string
	}{
		{name: "nil", w: nil, wantErr: "cannot expand a nil workload"},
		{name: "typed nil", w: (*appsv1.StatefulSet)(nil), wantErr: "cannot expand a nil workload"},
		{name: "unknown kind", w: existingPod("shop", "p"), wantErr: "cannot expand *v1.Pod shop/p: not an apps/v1 StatefulSet or Deployment or a batch/v1 Job"},
		{
			name:    "unknown kind named by its kind",
			w:       &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p"}},
			wantErr: "cannot expand Pod default/p: not an apps/v1 StatefulSet or Deployment or a batch/v1 Job",
		},
		{name: "StatefulSet without a name", w: statefulSet("shop", "", nil), wantErr: "cannot expand a StatefulSet without a name"},
		{name: "Deployment without a name", w: deployment("shop", "", nil), wantErr: "cannot expand a Deployment without a name"},
		{name: "Job without a name", w: &batchv1.Job{}, wantErr: "cannot expand a Job without a name"},
		{name: "negative replicas option", w: deployment("shop", "api", nil), opts: ExpandOptions{Replicas: -1}, wantErr: "Deployment shop/api: replicas -1 is negative"},
		{name: "negative spec.replicas", w: statefulSet("shop", "web", ptr.To[int32](-2)), wantErr: "StatefulSet shop/web: replica count -2 is negative"},
		{name: "too many replicas", w: statefulSet("shop", "web", ptr.To[int32](MaxReplicas+1)), wantErr: "StatefulSet shop/web: 100001 replicas are more than 100000"},
		{name: "too many replicas option", w: job("", "etl", nil, nil), opts: ExpandOptions{Replicas: MaxReplicas + 1}, wantErr: "Job default/etl: 100001 replicas are more than 100000"},
		{name: "negative parallelism", w: job("", "etl", ptr.To[int32](-1), nil), wantErr: "Job default/etl: replica count -1 is negative"},
		{
			name: "negative ordinals.start",
			w: func() runtime.Object {
				s := statefulSet("shop", "web", nil)
				s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: -1}
				return s
			}(),
			wantErr: "StatefulSet shop/web: spec.ordinals.start -1 is negative",
		},
		{name: "claim template without a name", w: statefulSet("shop", "web", nil, data, claimTemplate("", "1Gi")), wantErr: "StatefulSet shop/web: spec.volumeClaimTemplates[1] has no name"},
		{name: "duplicate claim templates", w: statefulSet("shop", "web", nil, data, data), wantErr: `StatefulSet shop/web: spec.volumeClaimTemplates[1]: duplicate name "data"`},
		{
			name:    "ephemeral volume without a claim template",
			w:       deployment("shop", "api", nil, corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}}),
			wantErr: `Deployment shop/api: pod api-planned-0: ephemeral volume "v" has no volumeClaimTemplate`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, claims, err := Expand(tt.w, nil, tt.opts)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Expand() error = %v, want %q", err, tt.wantErr)
			}
			if pods != nil || claims != nil {
				t.Errorf("Expand() = %d pods, %d claims with an error", len(pods), len(claims))
			}
		})
	}
}

func TestSplitWorkloads(t *testing.T) {
	objs := []runtime.Object{
		existingPod("shop", "p"),
		statefulSet("shop", "web", nil),
		storageClass("fast", false, t0),
		deployment("shop", "api", nil),
		job("shop", "etl", nil, nil),
	}
	cluster, workloads := SplitWorkloads(objs)
	if diff := cmp.Diff([]string{"*v1.Pod p", "*v1.StorageClass fast"}, describe(cluster)); diff != "" {
		t.Errorf("cluster (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"*v1.StatefulSet web", "*v1.Deployment api", "*v1.Job etl"}, describe(workloads)); diff != "" {
		t.Errorf("workloads (-want,+got):\n%s", diff)
	}
}

// TestExpandLoaded loads a cluster and a StatefulSet as `volplace simulate
// -f cluster.yaml -f statefulset.yaml` does and checks that the snapshot
// takes the cluster with the generated objects, which are pending.
func TestExpandLoaded(t *testing.T) {
	const input = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata:
    name: fast
    annotations: {storageclass.kubernetes.io/is-default-class: "true"}
  provisioner: csi.example.com
  volumeBindingMode: WaitForFirstConsumer
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`
	objs, err := NewLoader(nil).Load("f.yaml", []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	cluster, workloads := SplitWorkloads(objs)
	if len(workloads) != 1 {
		t.Fatalf("workloads = %v", describe(workloads))
	}
	pods, claims, err := Expand(workloads[0], cluster, ExpandOptions{Replicas: 3, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pod shop/web-0 [data=pvc:data-web-0]",
		"pod shop/web-1 [data=pvc:data-web-1]",
		"pod shop/web-2 [data=pvc:data-web-2]",
		`pvc shop/data-web-0 class="fast" labels=map[app:web]`,
		`pvc shop/data-web-1 class="fast" labels=map[app:web]`,
		`pvc shop/data-web-2 class="fast" labels=map[app:web]`,
	}
	if diff := cmp.Diff(want, summary(pods, claims)); diff != "" {
		t.Errorf("Expand() (-want,+got):\n%s", diff)
	}
	all := slices.Clone(cluster)
	for _, pod := range pods {
		all = append(all, pod)
	}
	for _, pvc := range claims {
		all = append(all, pvc)
	}
	snap, err := store.NewStatic(all...)
	if err != nil {
		t.Fatalf("store.NewStatic() = %v", err)
	}
	pending, err := PendingPods(snap, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pod := range pending {
		names = append(names, pod.Name)
	}
	if diff := cmp.Diff([]string{"web-0", "web-1", "web-2"}, names); diff != "" {
		t.Errorf("pending pods (-want,+got):\n%s", diff)
	}
}
