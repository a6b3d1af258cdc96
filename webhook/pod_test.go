package webhook

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	st "github.com/volplace/volplace/topology/testing"
)

func nodeNameTerm(node string, extra ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{
		MatchExpressions: extra,
		MatchFields:      []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
	}
}

func TestPodNodeNameRewrite(t *testing.T) {
	wffc := st.MakeStorageClass("wffc", "ebs.csi.aws.com").Obj()
	immediate := st.MakeStorageClass("fast", "ebs.csi.aws.com").Immediate().Obj()
	unbound := st.MakePVC("data").Class("wffc").Obj()
	zoneReq := corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}
	withAffinity := st.MakePod("p").PVC("data").Obj()
	withAffinity.Spec.NodeName = "n1"
	withAffinity.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{zoneReq}}}},
	}}
	pinned := func(build *st.PodWrapper) *corev1.Pod {
		pod := build.Obj()
		pod.Spec.NodeName = "n1"
		return pod
	}
	ephemeralPod := func(class *string) *corev1.Pod {
		pod := pinned(st.MakePod("e"))
		pod.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
			VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class}},
		}}}}
		return pod
	}

	tests := []struct {
		name         string
		objs         []runtime.Object
		live         []runtime.Object
		pod          *corev1.Pod
		wantNodeName string
		wantTerms    []corev1.NodeSelectorTerm
		wantWarnings []string
	}{
		{
			name:         "unbound WaitForFirstConsumer claim",
			objs:         []runtime.Object{wffc, unbound},
			pod:          pinned(st.MakePod("p").PVC("data")),
			wantTerms:    []corev1.NodeSelectorTerm{nodeNameTerm("n1")},
			wantWarnings: []string{`spec.nodeName "n1" replaced by a required node affinity on metadata.name: claim "data" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`},
		},
		{
			name:         "existing affinity terms are kept and narrowed",
			objs:         []runtime.Object{wffc, unbound},
			pod:          withAffinity,
			wantTerms:    []corev1.NodeSelectorTerm{nodeNameTerm("n1", zoneReq)},
			wantWarnings: []string{`spec.nodeName "n1" replaced by a required node affinity on metadata.name: claim "data" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`},
		},
		{
			name:         "claim found only by a live read",
			objs:         []runtime.Object{wffc},
			live:         []runtime.Object{unbound},
			pod:          pinned(st.MakePod("p").PVC("data")),
			wantTerms:    []corev1.NodeSelectorTerm{nodeNameTerm("n1")},
			wantWarnings: []string{`spec.nodeName "n1" replaced by a required node affinity on metadata.name: claim "data" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`},
		},
		{
			name:         "generic ephemeral volume of a WaitForFirstConsumer class",
			objs:         []runtime.Object{wffc},
			pod:          ephemeralPod(ptr.To("wffc")),
			wantTerms:    []corev1.NodeSelectorTerm{nodeNameTerm("n1")},
			wantWarnings: []string{`spec.nodeName "n1" replaced by a required node affinity on metadata.name: claim "e-scratch" waits for the scheduler to pick a node (WaitForFirstConsumer), which a pod with spec.nodeName never triggers`},
		},
		{name: "ephemeral volume of an Immediate class", objs: []runtime.Object{immediate}, pod: ephemeralPod(ptr.To("fast")), wantNodeName: "n1"},
		{name: "bound claim", objs: []runtime.Object{wffc, st.MakePVC("data").Class("wffc").BoundTo("pv").Obj()}, pod: pinned(st.MakePod("p").PVC("data")), wantNodeName: "n1"},
		{name: "Immediate claim", objs: []runtime.Object{immediate, st.MakePVC("data").Class("fast").Obj()}, pod: pinned(st.MakePod("p").PVC("data")), wantNodeName: "n1"},
		{name: "claim already selected for that node", objs: []runtime.Object{wffc, st.MakePVC("data").Class("wffc").SelectedNode("n1").Obj()}, pod: pinned(st.MakePod("p").PVC("data")), wantNodeName: "n1"},
		{name: "missing claim", objs: []runtime.Object{wffc}, pod: pinned(st.MakePod("p").PVC("data")), wantNodeName: "n1"},
		{name: "pod without nodeName", objs: []runtime.Object{wffc, unbound}, pod: st.MakePod("p").PVC("data").Obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &podDefaulter{cluster: clusterOf(t, tt.objs...), opts: DefaultOptions()}
			if tt.live != nil {
				d.client = fake.NewClientset(tt.live...)
			}
			ctx, warnings := collectWarnings()
			pod := tt.pod.DeepCopy()
			if err := d.Default(ctx, pod); err != nil {
				t.Fatal(err)
			}
			if pod.Spec.NodeName != tt.wantNodeName {
				t.Errorf("nodeName = %q, want %q", pod.Spec.NodeName, tt.wantNodeName)
			}
			var terms []corev1.NodeSelectorTerm
			if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
				terms = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			}
			if tt.wantTerms == nil && tt.pod.Spec.Affinity != nil {
				tt.wantTerms = tt.pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			}
			if diff := cmp.Diff(tt.wantTerms, terms); diff != "" {
				t.Errorf("required node affinity terms (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, *warnings, cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
			again := pod.DeepCopy()
			if err := d.Default(context.Background(), again); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(pod, again); diff != "" {
				t.Errorf("second pass changed the pod (-first,+second):\n%s", diff)
			}
		})
	}
}

func TestPodExtenderResource(t *testing.T) {
	opts := DefaultOptions()
	opts.ExtenderResource = true
	d := &podDefaulter{cluster: clusterOf(t), opts: opts}
	withContainer := func(w *st.PodWrapper) *corev1.Pod {
		pod := w.Obj()
		pod.Spec.Containers = []corev1.Container{{Name: "app"}, {Name: "sidecar"}}
		return pod
	}
	one := resource.MustParse("1")
	tests := []struct {
		name string
		pod  *corev1.Pod
		want corev1.ResourceList
	}{
		{name: "pod with a claim", pod: withContainer(st.MakePod("p").PVC("data")), want: corev1.ResourceList{StorageResource: one}},
		{name: "pod without claims", pod: withContainer(st.MakePod("p").EmptyDir("tmp"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := tt.pod.DeepCopy()
			if err := d.Default(context.Background(), pod); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, pod.Spec.Containers[0].Resources.Requests, cmpEmpty); diff != "" {
				t.Errorf("requests (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, pod.Spec.Containers[0].Resources.Limits, cmpEmpty); diff != "" {
				t.Errorf("limits (-want,+got):\n%s", diff)
			}
			again := pod.DeepCopy()
			_ = d.Default(context.Background(), again)
			if diff := cmp.Diff(pod, again); diff != "" {
				t.Errorf("second pass changed the pod:\n%s", diff)
			}
		})
	}
}

func TestPodSchedulerName(t *testing.T) {
	opts := DefaultOptions()
	opts.SchedulerName = "volplace-scheduler"
	d := &podDefaulter{cluster: clusterOf(t), opts: opts}
	optedOut := st.MakePod("p").PVC("data").Obj()
	optedOut.Labels = map[string]string{LabelSchedulerOptOut: "true"}
	custom := st.MakePod("p").PVC("data").Obj()
	custom.Spec.SchedulerName = "gang-scheduler"
	withDefault := st.MakePod("p").PVC("data").Obj()
	withDefault.Spec.SchedulerName = "default-scheduler"
	tests := []struct {
		name         string
		pod          *corev1.Pod
		want         string
		wantWarnings []string
	}{
		{
			name: "pod with a claim and the default scheduler", pod: withDefault, want: "volplace-scheduler",
			wantWarnings: []string{`spec.schedulerName set to "volplace-scheduler", the scheduler that places pods by their volumes; label the pod volplace.io/scheduler-opt-out=true to keep the default scheduler`},
		},
		{
			name: "pod with a claim and no scheduler name", pod: st.MakePod("p").Ephemeral("scratch").Obj(), want: "volplace-scheduler",
			wantWarnings: []string{`spec.schedulerName set to "volplace-scheduler", the scheduler that places pods by their volumes; label the pod volplace.io/scheduler-opt-out=true to keep the default scheduler`},
		},
		{name: "opted out", pod: optedOut, want: ""},
		{name: "another scheduler is kept", pod: custom, want: "gang-scheduler"},
		{name: "pod without claims", pod: st.MakePod("p").EmptyDir("tmp").Obj(), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, warnings := collectWarnings()
			pod := tt.pod.DeepCopy()
			if err := d.Default(ctx, pod); err != nil {
				t.Fatal(err)
			}
			if pod.Spec.SchedulerName != tt.want {
				t.Errorf("schedulerName = %q, want %q", pod.Spec.SchedulerName, tt.want)
			}
			if diff := cmp.Diff(tt.wantWarnings, *warnings, cmpEmpty); diff != "" {
				t.Errorf("warnings (-want,+got):\n%s", diff)
			}
		})
	}
}
