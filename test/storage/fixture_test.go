package storage

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/cmd/volplace/app/simulate"
	"github.com/volplace/volplace/test/e2e"
	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
)

// fixturePath is where -update-fixture writes the objects TestStatefulSet's
// volplace run ends with, as an example for `volplace simulate`.
const fixturePath = "../../examples/storage-stack/cluster.yaml"

var updateFixture = flag.Bool("update-fixture", false, "write the objects the real stack made in TestStatefulSet to "+fixturePath)

// checkFixture saves what the real stack made for the scenario, as
// `kubectl get -o yaml` writes it, and checks that `volplace simulate`
// over those objects gives, for each of the scenario's pods and every node,
// the verdict the live extender gives.
func checkFixture(s *e2e.Scenario, class string) {
	t := s.T
	ctx := t.Context()
	dump, err := dumpObjects(ctx, s, class)
	if err != nil {
		t.Fatalf("dumping the scenario's objects: %v", err)
	}
	if *updateFixture {
		if err := os.WriteFile(fixturePath, dump, 0o644); err != nil { //nolint:gosec // an example, readable by all
			t.Fatal(err)
		}
		t.Logf("wrote %s", fixturePath)
	}
	objs, err := simulate.NewLoader(io.Discard).Load("dump", dump)
	if err != nil {
		t.Fatalf("loading the dump: %v", err)
	}
	snap, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	ev := topology.NewEvaluator(snap, topology.DefaultOptions())
	var nodes []string
	for _, n := range suiteNodes {
		nodes = append(nodes, n.Name)
	}
	pods, err := fw.Client.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		live, err := liveVerdicts(ctx, pod, nodes)
		if err != nil {
			t.Fatalf("asking the extender about %s: %v", pod.Name, err)
		}
		offline := offlineVerdicts(simulate.Evaluate(ev, pod))
		if diff := cmp.Diff(live, offline); diff != "" {
			t.Errorf("pod %s: verdicts of the live extender (-) and of volplace simulate over the dump (+):\n%s", pod.Name, diff)
		}
	}
}

// liveVerdicts asks volplace's extender to filter every node for the pod,
// as kube-scheduler does with nodeCacheCapable.
func liveVerdicts(ctx context.Context, pod *corev1.Pod, nodes []string) (map[string]string, error) {
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: pod, NodeNames: &nodes})
	if err != nil {
		return nil, err
	}
	var res extenderv1.ExtenderFilterResult
	if err := harness.PostJSON(ctx, http.DefaultClient, "http://"+fw.Volplace.ExtenderAddr()+"/filter", body, &res); err != nil {
		return nil, err
	}
	if res.Error != "" {
		return nil, fmt.Errorf("extender error: %s", res.Error)
	}
	out := map[string]string{}
	for _, n := range deref(res.NodeNames) {
		out[n] = "fits"
	}
	for n, r := range res.FailedNodes {
		out[n] = "failed: " + r
	}
	for n, r := range res.FailedAndUnresolvableNodes {
		out[n] = "unresolvable: " + r
	}
	return out, nil
}

func offlineVerdicts(r *simulate.PodReport) map[string]string {
	out := map[string]string{}
	for _, n := range r.FeasibleNodes {
		out[n] = "fits"
	}
	for n, reason := range r.FailedNodes {
		out[n] = "failed: " + reason
	}
	for n, reason := range r.UnresolvableNodes {
		out[n] = "unresolvable: " + reason
	}
	return out
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

// dumpObjects returns, as one List the way `kubectl get -A -o yaml` writes
// it, the objects volplace reads that concern the scenario: the suite's nodes, the
// scenario's CSIDriver, class, capacities, claims, pods, PVs and
// VolumeAttachments, and the CSINodes with the scenario's driver only
// (other scenarios register theirs on the same nodes meanwhile).
func dumpObjects(ctx context.Context, s *e2e.Scenario, class string) ([]byte, error) {
	c := fw.Client
	var items []runtime.Object
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if !isSuiteNode(n.Name) {
			continue
		}
		n.Annotations[harness.AnnCSINodeID] = onlyDriver(n.Annotations[harness.AnnCSINodeID], s.Driver)
		// The attach-detach controller lists every driver's volumes.
		ours := "kubernetes.io/csi/" + s.Driver + "^"
		n.Status.VolumesAttached = slices.DeleteFunc(n.Status.VolumesAttached, func(v corev1.AttachedVolume) bool {
			return !strings.HasPrefix(string(v.Name), ours)
		})
		n.Status.VolumesInUse = slices.DeleteFunc(n.Status.VolumesInUse, func(v corev1.UniqueVolumeName) bool {
			return !strings.HasPrefix(string(v), ours)
		})
		items = append(items, n)
	}
	csiNodes, err := c.StorageV1().CSINodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range csiNodes.Items {
		cn := &csiNodes.Items[i]
		if !isSuiteNode(cn.Name) {
			continue
		}
		cn.Spec.Drivers = slices.DeleteFunc(cn.Spec.Drivers, func(d storagev1.CSINodeDriver) bool { return d.Name != s.Driver })
		items = append(items, cn)
	}
	driver, err := c.StorageV1().CSIDrivers().Get(ctx, s.Driver, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sc, err := c.StorageV1().StorageClasses().Get(ctx, class, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	items = append(items, driver, sc)
	caps, err := capacities(ctx, class)
	if err != nil {
		return nil, err
	}
	for _, node := range sortedKeys(caps) {
		items = append(items, caps[node])
	}
	st, err := readState(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(st.pvs) {
		items = append(items, st.pvs[name])
	}
	for _, name := range sortedKeys(st.claims) {
		items = append(items, st.claims[name])
	}
	for i := range st.pods {
		items = append(items, &st.pods[i])
	}
	for _, name := range sortedKeys(st.attachd) {
		items = append(items, st.attachd[name])
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]string{"resourceVersion": ""}}
	var raw []any
	for _, obj := range items {
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			return nil, err
		}
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
		// kubectl hides managed fields too, but those of a capacity say
		// when the driver last wrote it (docs/rules.md#capacity).
		if _, ok := obj.(*storagev1.CSIStorageCapacity); !ok {
			obj.(metav1.Object).SetManagedFields(nil)
		}
		raw = append(raw, obj)
	}
	list["items"] = raw
	out, err := yaml.Marshal(list)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Made by the real storage stack of test/storage (TestStatefulSet, %s):\n# go test ./test/storage/ -run '^TestStatefulSet$' -args -update-fixture\n", s.Profile)
	return append([]byte(header), out...), nil
}

func isSuiteNode(name string) bool {
	return slices.ContainsFunc(suiteNodes, func(n harness.NodeSpec) bool { return n.Name == name })
}

// onlyDriver keeps one driver in a csi.volume.kubernetes.io/nodeid value.
func onlyDriver(ids, driver string) string {
	var m map[string]string
	if json.Unmarshal([]byte(ids), &m) != nil {
		return ids
	}
	for k := range m {
		if k != driver {
			delete(m, k)
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
