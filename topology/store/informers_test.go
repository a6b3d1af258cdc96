package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	st "github.com/volplace/volplace/topology/testing"
)

// TestInformerStoreTracksUsage follows a node's volume count through
// events: a pod scheduled with an unbound claim, the claim's binding, a
// VolumeAttachment of the same volume, and the pod's deletion.
func TestInformerStoreTracksUsage(t *testing.T) {
	ctx := t.Context()
	client, snap := syncedStore(t,
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
