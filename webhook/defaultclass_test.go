package webhook

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

// TestPodAndClaimWebhooksAgreeOnTheDefaultClass checks that the pod webhook
// reasons about a generic ephemeral volume's claim with the class the PVC
// webhook then gives that claim, under every multiple-defaults policy,
// with and without a namespace default, with kube-apiserver's
// DefaultStorageClass plugin on (it fills the class in before the webhook)
// and off: one answer to one question.
func TestPodAndClaimWebhooksAgreeOnTheDefaultClass(t *testing.T) {
	withDefault := &corev1.Namespace{}
	withDefault.Name, withDefault.Annotations = "team-a", map[string]string{AnnNamespaceDefaultClass: "gold"}
	missingDefault := &corev1.Namespace{}
	missingDefault.Name, missingDefault.Annotations = "team-b", map[string]string{AnnNamespaceDefaultClass: "missing"}
	plain := &corev1.Namespace{}
	plain.Name = "team-c"
	clusters := map[string][]runtime.Object{
		"no default":       {st.MakeStorageClass("gold", "ebs.csi.aws.com").Obj()},
		"one default":      {st.MakeStorageClass("gold", "ebs.csi.aws.com").Obj(), defaultClass("standard", 1)},
		"several defaults": {st.MakeStorageClass("gold", "ebs.csi.aws.com").Obj(), defaultClass("standard", 1), defaultClass("fast", 2)},
	}
	for _, policy := range []DefaultClassPolicy{PolicyNewest, PolicyReject} {
		for cluster, objs := range clusters {
			for _, ns := range []*corev1.Namespace{withDefault, missingDefault, plain} {
				for _, plugin := range []string{"plugin off", "plugin on"} {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", policy, cluster, ns.Name, plugin), func(t *testing.T) {
						defaults := classDefaults{cluster: clusterOf(t, objs...), namespaces: namespaceLister(t, withDefault, missingDefault, plain), policy: policy}
						pvc := st.MakePVC("c").Namespace(ns.Name).Obj()
						pvc.Spec.StorageClassName = nil
						if picked := topology.DefaultClasses(defaults.cluster.StorageClasses(), nil); plugin == "plugin on" && len(picked) > 0 {
							pvc = filledIn(st.MakePVC("c").Namespace(ns.Name), picked[0].Name)
						}
						claimClass := ""
						if err := (&pvcDefaulter{defaults: defaults}).Default(t.Context(), pvc); err == nil && pvc.Spec.StorageClassName != nil {
							claimClass = *pvc.Spec.StorageClassName
						}
						pods := &podDefaulter{cluster: defaults.cluster, opts: DefaultOptions(), defaults: defaults}
						podClass := pods.ephemeralClass(ns.Name, &corev1.PersistentVolumeClaimTemplate{})
						if diff := cmp.Diff(claimClass, podClass); diff != "" {
							t.Errorf("class of the claim (-PVC webhook,+pod webhook):\n%s", diff)
						}
					})
				}
			}
		}
	}
}
