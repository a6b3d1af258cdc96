package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// TestInformerStoreTracksUsage follows a node's volume count through
// events: a pod scheduled with an unbound claim, the claim's binding, a
// VolumeAttachment of the same volume, and the pod's deletion; over
// informers volplace trims (New) and over whole objects (NewShared).
func TestInformerStoreTracksUsage(t *testing.T) {
	for _, tt := range []struct {
		name     string
		newStore func(informers.SharedInformerFactory) (*store.Store, error)
	}{
		{name: "New", newStore: store.New},
		{name: "NewShared", newStore: store.NewShared},
	} {
		t.Run(tt.name, func(t *testing.T) { testTracksUsage(t, tt.newStore) })
	}
}

func testTracksUsage(t *testing.T, newStore func(informers.SharedInformerFactory) (*store.Store, error)) {
	ctx := t.Context()
	client, snap := syncedStoreWith(t, newStore,
		st.MakeNode("n1").Obj(),
		st.MakeStorageClass("wffc", driver).Obj(),
		st.MakePVC("data").Class("wffc").Obj(),
		st.MakePod("web").PVC("data").Node("n1").Obj(),
	)
	eventually := func(what string, wantInUse, wantPresent int, keys ...string) {
		t.Helper()
		usage := func() (inUse, present int) {
			for _, key := range keys {
				if slices.Contains(snap.VolumeNodes(key), "n1") {
					present++
				}
			}
			return snap.VolumesInUse("n1", driver), present
		}
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
			inUse, present := usage()
			return inUse == wantInUse && present == wantPresent, nil
		})
		if err != nil {
			inUse, present := usage()
			t.Fatalf("%s: VolumesInUse = (%d, %d), want (%d, %d)", what, inUse, present, wantInUse, wantPresent)
		}
	}
	eventually("unbound claim counts by its class's driver", 1, 0, driver+"/h1")

	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, st.MakePV("pv1").BoundTo("default", "data").CSI(driver, "h1").Obj(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().PersistentVolumeClaims("default").Update(ctx, st.MakePVC("data").Class("wffc").BoundTo("pv1").Obj(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("the bound volume replaces the placeholder", 1, 1, driver+"/h1")

	if _, err := client.StorageV1().VolumeAttachments().Create(ctx, st.MakeAttachment("va1", driver, "pv1", "n1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("the attachment of the same volume counts once", 1, 1, driver+"/h1")

	if err := client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("the attachment outlives the pod", 1, 1, driver+"/h1")

	if err := client.StorageV1().VolumeAttachments().Delete(ctx, "va1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("nothing left", 0, 0, driver+"/h1")
}

// TestInformerStoreOrdersVolumesByTheirFirstVersion checks that a volume
// created in the second its segment's capacity was last written counts as
// reported when its first resource version precedes the capacity's, even
// after later writes to the PV (binding, status) give it a newer version;
// a static store, which knows only the newer version, stays conservative.
func TestInformerStoreOrdersVolumesByTheirFirstVersion(t *testing.T) {
	ctx := t.Context()
	written := time.Now().Truncate(time.Second)
	pv := provisionedVolume("other", written)
	objs := append(capacityCluster("60Gi"),
		zoneCapacity("100Gi").Written(written).ResourceVersion("20").Obj(),
		st.MakePVC("other").Class("wffc").Request("50Gi").SelectedNode("na").BoundTo("pv-other").Obj(),
	)
	fits := func(s *store.Store) bool { return fitsZoneA(s, written) }

	client, informed := syncedStore(t, append(objs, pv.ResourceVersion("19").Obj())...)
	bound := pv.ResourceVersion("21").Phase(corev1.VolumeBound).Obj()
	if _, err := client.CoreV1().PersistentVolumes().UpdateStatus(ctx, bound, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		got, ok := informed.PersistentVolume("pv-other")
		return ok && got.ResourceVersion == "21", nil
	})
	if err != nil {
		t.Fatalf("the PV's update did not reach the store: %v", err)
	}
	if !fits(informed) {
		t.Error("informer store: the volume created before the capacity's write counts against it")
	}

	static, err := store.NewStatic(append(objs, bound)...)
	if err != nil {
		t.Fatal(err)
	}
	if fits(static) {
		t.Error("static store: a volume whose creation cannot be ordered against the capacity's write does not count")
	}
}

// TestInformerStoreCreditsWhatAWriteTookOff checks that a report written
// just before a volume's PV shows the volume when the write lowered the
// report by its size (external-provisioner refreshes a segment before it
// creates the PV), and that the credit is spent once. The pod's 120Gi claim
// never fits; its detail gives the figures.
func TestInformerStoreCreditsWhatAWriteTookOff(t *testing.T) {
	ctx := t.Context()
	const (
		credited = "claim data: requested 120Gi of 100Gi free in CSIStorageCapacity kube-system/cap-a"
		counted  = "claim data: requested 120Gi of 50Gi free in CSIStorageCapacity kube-system/cap-a" +
			" (100Gi reported, 50Gi taken by 1 claim placed since the driver last reported)"
	)
	type volume struct {
		claim   string
		after   time.Duration // from the capacity's write to the PV's creation
		version string
	}
	tests := []struct {
		name    string
		volumes []volume
		want    string
	}{
		{
			name:    "the volume created after the write that took its size off",
			volumes: []volume{{"other", 0, "25"}},
			want:    credited,
		},
		{
			name:    "a second volume the write did not take off",
			volumes: []volume{{"other", 0, "25"}, {"third", time.Second, "26"}},
			want:    counted,
		},
		{
			name:    "a volume created longer after the write",
			volumes: []volume{{"other", 2 * time.Second, "25"}},
			want:    counted,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := zoneCapacity("150Gi").ResourceVersion("10").Obj()
			client, informed := syncedStore(t, append(capacityCluster("120Gi"), before)...)
			// The fake clientset records the time of the update.
			after, err := client.StorageV1().CSIStorageCapacities(before.Namespace).Update(ctx,
				zoneCapacity("100Gi").ResourceVersion("20").Obj(), metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			written := topology.LastWritten(&after.ObjectMeta)
			var objs []runtime.Object
			for _, v := range tc.volumes {
				objs = append(objs, provisioned(v.claim, written.Add(v.after), v.version)...)
			}
			for _, obj := range objs {
				if err := create(ctx, client, obj); err != nil {
					t.Fatal(err)
				}
			}
			// The store's handlers see the update after its indexer does:
			// wait for the figures of the new report and the volumes.
			var got string
			err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
				for _, v := range tc.volumes {
					if _, ok := informed.PersistentVolume("pv-" + v.claim); !ok {
						return false, nil
					}
					if c, ok := informed.PersistentVolumeClaim("default", v.claim); !ok || c.Spec.VolumeName == "" {
						return false, nil
					}
				}
				got = capacityDetail(informed, written)
				return got == credited || strings.Contains(got, "(100Gi reported"), nil
			})
			if err != nil {
				t.Fatalf("the capacity's update or the volumes did not reach the store: detail %q", got)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("informer store: detail (-want +got):\n%s", diff)
			}
			// A store that did not see the write cannot credit it.
			static, err := store.NewStatic(append(append(capacityCluster("120Gi"), after), objs...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := capacityDetail(static, written); got == credited {
				t.Errorf("static store: detail %q, want the volumes counted", got)
			}
		})
	}
}

// create creates a claim or a PV.
func create(ctx context.Context, client *fake.Clientset, obj runtime.Object) error {
	var err error
	switch o := obj.(type) {
	case *corev1.PersistentVolumeClaim:
		_, err = client.CoreV1().PersistentVolumeClaims(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.PersistentVolume:
		_, err = client.CoreV1().PersistentVolumes().Create(ctx, o, metav1.CreateOptions{})
	default:
		err = fmt.Errorf("cannot create %T", obj)
	}
	return err
}

const zoneKey = "topology.kubernetes.io/zone"

// capacityCluster returns a node in zone a whose driver reports capacity
// for class wffc, and a pending pod's claim "data" of that class, of size
// request.
func capacityCluster(request string) []runtime.Object {
	return []runtime.Object{
		st.MakeNode("na").Zone("a").Obj(),
		st.MakeCSINode("na").Driver(driver, zoneKey).Obj(),
		st.MakeCSIDriver(driver).StorageCapacity(true).Obj(),
		st.MakeStorageClass("wffc", driver).Obj(),
		st.MakePVC("data").Class("wffc").Request(request).Obj(),
	}
}

func zoneCapacity(q string) *st.CapacityWrapper {
	return st.MakeCapacity("cap-a", "wffc").Topology(zoneKey, "a").Capacity(q)
}

func provisionedVolume(claim string, created time.Time) *st.PVWrapper {
	return st.MakePV("pv-"+claim).Class("wffc").Capacity("50Gi").CSI(driver, claim).BoundTo("default", claim).Created(created)
}

// provisioned returns a 50Gi claim assigned to node na and its PV.
func provisioned(claim string, created time.Time, version string) []runtime.Object {
	return []runtime.Object{
		st.MakePVC(claim).Class("wffc").Request("50Gi").SelectedNode("na").BoundTo("pv-" + claim).Obj(),
		provisionedVolume(claim, created).ResourceVersion(version).Obj(),
	}
}

// evaluateZoneA evaluates a pod using claim "data" on node na at now.
func evaluateZoneA(s *store.Store, now time.Time) topology.NodeResult {
	ev := topology.NewEvaluator(s, topology.DefaultOptions()).WithClock(func() time.Time { return now }).WithDetails()
	node, _ := s.Node("na")
	return ev.Evaluate(ev.Prepare(st.MakePod("p").PVC("data").Obj()), node)
}

// fitsZoneA reports whether a pod using claim "data" fits node na at now.
func fitsZoneA(s *store.Store, now time.Time) bool {
	r := evaluateZoneA(s, now)
	return r.Fits()
}

// capacityDetail returns the detail of the capacity reason of a pod using
// claim "data" on node na at now, "" if there is none.
func capacityDetail(s *store.Store, now time.Time) string {
	for _, r := range evaluateZoneA(s, now).Reasons {
		if r.Code == topology.CodeNotEnoughSpace {
			return strings.Join(r.Detail, "; ")
		}
	}
	return ""
}
