package faults

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/volplace/volplace/test/internal/harness"
)

// How long the tests keep volplace cut off and watch it meanwhile.
const (
	cutFor = 2 * time.Second
	// settleFor lets volplace's watches run past client-go's "very short
	// watch" threshold (1 s) before a cut, as the long-lived watches of a
	// running volplace have: a watch that dies younger makes the informer
	// relist at once instead of resuming.
	settleFor = 1500 * time.Millisecond
	// notSyncedFor is how long /readyz is watched before the first sync.
	notSyncedFor = 1500 * time.Millisecond
)

// TestAPIServerUnreachable cuts volplace off from kube-apiserver with a proxy
// that refuses connections, changes the cluster meanwhile, and reconnects.
// Each case starts its own volplace, so that client-go's reconnection
// backoff starts afresh.
func TestAPIServerUnreachable(t *testing.T) {
	cut := newCutScenario(t, "cut")
	compacted := newCutScenario(t, "compacted")
	t.Cleanup(func() {
		if err := su.apiLink.Set(linkOpen); err != nil {
			t.Error(err)
		}
	})

	t.Run("before the first sync readyz is false and filter answers with an error", func(t *testing.T) {
		if err := su.apiLink.Set(linkRefused); err != nil {
			t.Fatal(err)
		}
		v := runVolplace(t, linked)
		probes := 0
		deadline := time.Now().Add(notSyncedFor)
		for time.Now().Before(deadline) {
			if ok, err := v.ready(t.Context()); err == nil && ok {
				t.Fatal("/readyz answered 200 before volplace could list anything")
			}
			r, err := v.filter(t.Context(), cut.pod, cut.nodes)
			if err == nil {
				probes++
				if diff := cmp.Diff([]string{"error: volplace: cache not synced yet"}, verdicts(r)); diff != "" {
					t.Fatalf("filter before the first sync (-want +got):\n%s", diff)
				}
			}
			time.Sleep(harness.PollInterval)
		}
		if probes == 0 {
			t.Fatalf("volplace's extender never answered in %v", notSyncedFor)
		}
		if err := su.apiLink.Set(linkOpen); err != nil {
			t.Fatal(err)
		}
		took := mustReady(t, v)
		t.Logf("not ready with kube-apiserver unreachable (%d filter answers with Error in %v); ready %v after the link opened",
			probes, notSyncedFor, took.Round(time.Millisecond))
	})

	t.Run("a change made while volplace is cut off shows in filter answers after reconnecting", func(t *testing.T) {
		v := cutOff(t, cut)
		cut.change(t)
		probes := holdStale(t, v, cut)
		took := reconnect(t, v, cut)
		t.Logf("cut off for %v: /readyz 200 and the pre-cut verdicts in %d probes; the deleted VolumeAttachment and new CSINode showed %v after reconnecting",
			cutFor, probes, took.Round(time.Millisecond))
	})

	t.Run("a watch expired by etcd compaction while cut off is relisted", func(t *testing.T) {
		v := cutOff(t, compacted)
		// volplace cannot have seen anything newer than this.
		list, err := su.client.StorageV1().CSINodes().List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := list.ResourceVersion
		compacted.change(t)
		rev, err := su.compactEtcd(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// The fault must be real: a watch from what volplace saw is gone.
		for name, w := range map[string]watchFunc{
			"CSINodes":          su.client.StorageV1().CSINodes().Watch,
			"VolumeAttachments": su.client.StorageV1().VolumeAttachments().Watch,
		} {
			if err := expectExpired(t.Context(), w, seen); err != nil {
				t.Fatalf("etcd compacted to revision %d, yet a watch of %s from resourceVersion %s: %v", rev, name, seen, err)
			}
		}
		probes := holdStale(t, v, compacted)
		took := reconnect(t, v, compacted)
		t.Logf("etcd compacted to revision %d while cut off (volplace had seen at most %s; %d stale probes): the changes showed %v after reconnecting",
			rev, seen, probes, took.Round(time.Millisecond))
		// The informers met the expiry themselves, rather than relisting
		// for another reason: client-go logs the 410 at -v=4.
		expiries := v.tail(20, "The resourceVersion for the provided watch is too old")
		for _, kind := range []string{"*v1.CSINode", "*v1.VolumeAttachment"} {
			if !strings.Contains(expiries, `type="`+kind+`"`) {
				t.Errorf("volplace's log shows no expired watch of %s; its expiries:\n%s", kind, expiries)
			}
		}
	})
}

// cutOff starts a volplace that reads the API through the suite's proxy,
// waits until it answers for the scenario as before the changes, lets its
// watches settle, then cuts the link.
func cutOff(t *testing.T, c *cutScenario) *volplace {
	t.Helper()
	v := runVolplace(t, linked)
	mustReady(t, v)
	waitVerdicts(t, v, c.pod, c.nodes, c.verdicts(true, false), reconnectTimeout)
	time.Sleep(settleFor)
	if err := su.apiLink.Set(linkRefused); err != nil {
		t.Fatal(err)
	}
	return v
}

// reconnect restores the link and returns how long volplace took to answer
// as after the changes.
func reconnect(t *testing.T, v *volplace, c *cutScenario) time.Duration {
	t.Helper()
	if err := su.apiLink.Set(linkOpen); err != nil {
		t.Fatal(err)
	}
	return waitVerdicts(t, v, c.pod, c.nodes, c.verdicts(false, true), reconnectTimeout)
}

// holdStale keeps volplace cut off for cutFor and checks meanwhile that it
// stays ready and answers filter from its cache, as before the cut. It
// returns the number of probes.
func holdStale(t *testing.T, v *volplace, c *cutScenario) int {
	t.Helper()
	want := c.verdicts(true, false)
	probes := 0
	for deadline := time.Now().Add(cutFor); time.Now().Before(deadline); probes++ {
		ok, err := v.ready(t.Context())
		if err != nil || !ok {
			t.Fatalf("/readyz while kube-apiserver is unreachable: ok=%v, err=%v; want 200: a briefly stale cache beats no extender", ok, err)
		}
		r, err := v.filter(t.Context(), c.pod, c.nodes)
		if err != nil {
			t.Fatalf("filter while kube-apiserver is unreachable: %v", err)
		}
		if got := verdicts(r); !slices.Equal(got, want) {
			t.Fatalf("filter while kube-apiserver is unreachable (-want +got):\n%s", cmp.Diff(want, got))
		}
		time.Sleep(harness.PollInterval)
	}
	return probes
}

// watchFunc starts a watch of one resource.
type watchFunc func(context.Context, metav1.ListOptions) (watch.Interface, error)

// expectExpired returns nil if kube-apiserver refuses a watch from rv as
// too old (HTTP 410), at once or as the watch's first event.
func expectExpired(ctx context.Context, start watchFunc, rv string) error {
	expired := func(err error) bool { return apierrors.IsResourceExpired(err) || apierrors.IsGone(err) }
	w, err := start(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		if expired(err) {
			return nil
		}
		return fmt.Errorf("failed otherwise: %w", err)
	}
	defer w.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		switch {
		case !ok:
			return fmt.Errorf("ended without an event")
		case ev.Type != watch.Error:
			return fmt.Errorf("started with a %s event", ev.Type)
		case !expired(apierrors.FromObject(ev.Object)):
			return fmt.Errorf("failed otherwise: %w", apierrors.FromObject(ev.Object))
		}
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("still runs")
	}
}
