package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/csidriver"
	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
)

// envKubeletsRequired, set to 1 (as .ci/run does once hack/storage-deps.sh
// installed what kubelets need), makes a machine that cannot run kubelet
// nodes a failure instead of a skip.
const envKubeletsRequired = "VOLPLACE_KUBELETS_REQUIRED"

// kubeletNodes are the real nodes of TestKubelets, in two zones.
var kubeletNodes = []harness.NodeSpec{{Name: "kubelet-a", Zone: "zone-a"}, {Name: "kubelet-b", Zone: "zone-b"}}

// TestKubelets runs the StatefulSet workflow on real kubelets, each with a
// containerd of its own: the driver registers through each kubelet's plugin
// registration socket, so the CSINodes and the Nodes' topology labels are
// kubelet's; pods run, and their volumes are staged and bind-mounted by
// kubelet where volplace placed them. Each pool holds one 3Gi replica, so of
// three replicas two run and one stays Pending for capacity; none waits in
// ContainerCreating.
func TestKubelets(t *testing.T) {
	if err := harness.KubeletSupport(assets); err != nil {
		if os.Getenv(envKubeletsRequired) == "1" {
			t.Fatalf("%s=1: %v", envKubeletsRequired, err)
		}
		t.Skipf("skipping the kubelet scenario: %v (run hack/storage-deps.sh as root)", err)
	}
	s := e2e.NewScenario(t, "kubelets", e2e.ProfileDefault)
	ctx := t.Context()
	kubelets := map[string]*harness.KubeletNode{}
	driverNodes := map[string]harness.DriverNode{}
	start := time.Now()
	for i, n := range kubeletNodes {
		k, err := harness.StartKubeletNode(ctx, fw.StorageEnv(), i+1, n.Name, n.Zone)
		if err != nil {
			t.Fatalf("starting kubelet node %s: %v", n.Name, err)
		}
		t.Cleanup(func() {
			if err := k.Stop(); err != nil {
				t.Error(err)
			}
			if err := harness.DeleteNode(context.WithoutCancel(ctx), fw.Client, k.Name); err != nil {
				t.Error(err)
			}
		})
		kubelets[n.Name] = k
		driverNodes[n.Name] = harness.DriverNode{Zone: n.Zone, Capacity: 4 * gi, MaxVolumes: 4}
	}
	t.Logf("%d kubelet nodes Ready in %v", len(kubeletNodes), time.Since(start).Round(100*time.Millisecond))
	d := startDriver(s, harness.DriverSpec{Attach: true, Nodes: driverNodes, Kubelets: kubelets})

	// kubelet, not the suite, wrote the CSINodes and the topology labels.
	for _, n := range kubeletNodes {
		cn, err := fw.Client.StorageV1().CSINodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var entry string
		for _, drv := range cn.Spec.Drivers {
			if drv.Name != s.Driver {
				continue
			}
			var count int32
			if drv.Allocatable != nil {
				count = ptr.Deref(drv.Allocatable.Count, 0)
			}
			entry = fmt.Sprintf("nodeID=%s keys=%v count=%d", drv.NodeID, drv.TopologyKeys, count)
		}
		want := fmt.Sprintf("nodeID=%s keys=[%s %s] count=4", n.Name, csidriver.TopologyKeyNode, csidriver.TopologyKeyZone)
		if entry != want {
			t.Errorf("CSINode %s: driver %s: %q, want %q", n.Name, s.Driver, entry, want)
		}
		node, err := fw.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := node.Labels[csidriver.TopologyKeyZone]; got != n.Zone {
			t.Errorf("node %s: label %s=%q, want %q (kubelet sets it at registration)", n.Name, csidriver.TopologyKeyZone, got, n.Zone)
		}
	}
	class := driverClass(s, d)

	sts := statefulSet(s, "web", class.Name, "3Gi", 3)
	spec := &sts.Spec.Template.Spec
	spec.DNSPolicy = corev1.DNSDefault
	spec.AutomountServiceAccountToken = ptr.To(false)
	spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	// Only the kubelet nodes run containers.
	spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{kubeletNodes[0].Name, kubeletNodes[1].Name},
		}}}},
	}}}
	spec.Containers[0].Image = harness.AppImage
	spec.Containers[0].ImagePullPolicy = corev1.PullNever
	spec.Containers[0].Command = []string{"/bin/sh", "-c", "echo $HOSTNAME > /data/owner && exec sleep 3600"}
	if _, err := fw.Client.AppsV1().StatefulSets(s.Namespace).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	var st *state
	poll(t, placeTimeout, "two replicas Running and one Pending for capacity", func() (bool, error) {
		var err error
		if st, err = readState(ctx, s); err != nil {
			return false, err
		}
		running, pending := 0, 0
		for i := range st.pods {
			p := &st.pods[i]
			switch {
			case p.Status.Phase == corev1.PodRunning && st.placed(p, true):
				running++
			case p.Spec.NodeName == "" && strings.Contains(failedScheduling(s, p), "did not have enough free storage"):
				pending++
			}
		}
		return running == 2 && pending == 1, nil
	})
	t.Logf("2 replicas Running with their volumes mounted, 1 Pending, in %v", time.Since(start).Round(100*time.Millisecond))
	checkConsistent(t, st)
	nodesUsed := map[string]bool{}
	for i := range st.pods {
		p := &st.pods[i]
		if p.Spec.NodeName == "" {
			continue
		}
		nodesUsed[p.Spec.NodeName] = true
		// The container wrote into the volume kubelet mounted: the file
		// is in the driver's directory of that volume.
		pvc := st.claims["data-"+p.Name]
		pv := st.pvs[pvc.Spec.VolumeName]
		owner, err := os.ReadFile(filepath.Join(d.Root, "data", pv.Spec.CSI.VolumeHandle, "owner"))
		if err != nil || strings.TrimSpace(string(owner)) != p.Name {
			t.Errorf("pod %s on %s: volume %s holds %q (%v), want the pod's name written by its container", p.Name, p.Spec.NodeName, pv.Spec.CSI.VolumeHandle, owner, err)
		}
	}
	if len(nodesUsed) != 2 {
		t.Errorf("replicas on %v, want one on each kubelet node", nodesUsed)
	}
	failedMounts, err := eventsOf(s, "FailedMount")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range failedMounts {
		t.Errorf("FailedMount: %s: %s", e.InvolvedObject.Name, e.Message)
	}

	// Scale to zero: kubelet stops the containers and unmounts, the
	// attach-detach controller detaches; then the claims go, and with them
	// the volumes.
	patch := []byte(`{"spec":{"replicas":0}}`)
	if _, err := fw.Client.AppsV1().StatefulSets(s.Namespace).Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, placeTimeout, "the replicas stopped by kubelet and their volumes detached", func() (bool, error) {
		st, err := readState(ctx, s)
		return err == nil && len(st.pods) == 0 && len(st.attachd) == 0, err
	})
	if err := fw.Client.CoreV1().PersistentVolumeClaims(s.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, placeTimeout, "the PVs deleted", func() (bool, error) {
		st, err := readState(ctx, s)
		return err == nil && len(st.pvs) == 0 && len(st.claims) == 0, err
	})
}
