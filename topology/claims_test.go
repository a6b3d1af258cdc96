package topology_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

func TestPodLevelReasons(t *testing.T) {
	pod := st.MakePod("p").PVC("data").Obj()
	ephPod := st.MakePod("e").Ephemeral("scratch").Obj()
	n1 := st.MakeNode("n1").Obj()
	wffc := st.MakeStorageClass("wffc", "csi.example.com").Obj()
	immediate := st.MakeStorageClass("fast", "csi.example.com").Immediate().Obj()

	tests := []evalCase{
		{
			name: "pod without claims fits",
			objs: objects(n1),
			pod:  st.MakePod("p").EmptyDir("tmp").Obj(),
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "missing claim",
			objs: objects(n1),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "data" not found`)},
		},
		{
			name: "claim being deleted",
			objs: objects(n1, wffc, st.MakePVC("data").Class("wffc").Deleting().Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "data" is being deleted`)},
		},
		{
			name: "lost claim",
			objs: objects(n1, st.MakePVC("data").VolumeName("pv-gone").Lost().Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "data" bound to non-existent persistentvolume "pv-gone"`)},
		},
		{
			name: "ephemeral claim not created yet",
			objs: objects(n1),
			pod:  ephPod,
			want: map[string]outcome{"n1": unresolvable(`waiting for ephemeral volume controller to create the persistentvolumeclaim "e-scratch"`)},
		},
		{
			name: "ephemeral claim owned by another pod",
			objs: objects(n1, wffc, st.MakePVC("e-scratch").Class("wffc").Obj()),
			pod:  ephPod,
			want: map[string]outcome{"n1": unresolvable(`PVC default/e-scratch was not created for pod default/e (pod is not owner)`)},
		},
		{
			name: "ephemeral claim owned by the pod is evaluated",
			objs: objects(n1, wffc, st.MakePVC("e-scratch").Class("wffc").OwnedBy(ephPod).Obj()),
			pod:  ephPod,
			want: map[string]outcome{"n1": fits},
		},
		{
			name: "unbound claim of an Immediate class",
			objs: objects(n1, immediate, st.MakePVC("data").Class("fast").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(topology.ErrReasonUnboundImmediate)},
		},
		{
			name: "unbound claim of a missing class is named",
			objs: objects(n1, st.MakePVC("data").Class("gone").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "data": storageclass "gone" not found`)},
		},
		{
			name: "unbound claim without class",
			objs: objects(n1, st.MakePVC("data").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(topology.ErrReasonUnboundImmediate)},
		},
		{
			name: "pre-bound claim whose bind is not complete",
			objs: objects(n1, wffc, st.MakePVC("data").Class("wffc").VolumeName("pv1").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(topology.ErrReasonUnboundImmediate)},
		},
		{
			name: "several pod-level reasons are all reported",
			objs: objects(n1, st.MakePVC("b").Deleting().Obj()),
			pod:  st.MakePod("p").PVC("a").PVC("b").Obj(),
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "a" not found, persistentvolumeclaim "b" is being deleted`)},
		},
		{
			name: "claim in another namespace does not count",
			objs: objects(n1, wffc, st.MakePVC("data").Namespace("other").Class("wffc").Obj()),
			pod:  pod,
			want: map[string]outcome{"n1": unresolvable(`persistentvolumeclaim "data" not found`)},
		},
	}
	runEvalCases(t, tests)
}

func TestHasClaims(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{name: "no volumes", pod: st.MakePod("p").Obj(), want: false},
		{name: "emptyDir", pod: st.MakePod("p").EmptyDir("tmp").Obj(), want: false},
		{name: "claim", pod: st.MakePod("p").EmptyDir("tmp").PVC("c").Obj(), want: true},
		{name: "ephemeral", pod: st.MakePod("p").Ephemeral("v").Obj(), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topology.HasClaims(tt.pod); got != tt.want {
				t.Errorf("HasClaims() = %v, want %v", got, tt.want)
			}
		})
	}
}
