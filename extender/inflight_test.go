package extender

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// TestInFlightReservations plays two pods sharing a ReadWriteOnce claim
// filtered before either is bound: the second waits until the first's
// reservation ends.
func TestInFlightReservations(t *testing.T) {
	snap, err := store.NewStatic(
		st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj(),
		st.MakeCSINode("n1").Driver(driver).Obj(), st.MakeCSINode("n2").Driver(driver).Obj(),
		st.MakePVC("shared").BoundTo("pv").Obj(),
		st.MakePV("pv").BoundTo("default", "shared").CSI(driver, "h").Obj(),
		st.MakePVC("wide").BoundTo("pv-rwx").Obj(),
		st.MakePV("pv-rwx").BoundTo("default", "wide").CSI(driver, "h2").AccessModes("ReadWriteMany").Obj(),
	)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	h, err := NewHandler(topology.NewEvaluator(snap, topology.DefaultOptions()), Options{
		MaxBodyBytes: 1 << 20, InFlightTTL: 10 * time.Second, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	filterPod := func(name, claim string) string {
		pod := st.MakePod(name).PVC(claim).Obj()
		pod.UID = types.UID("uid-" + name)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, FilterPath,
			strings.NewReader(mustJSON(t, extenderv1.ExtenderArgs{Pod: pod, NodeNames: &[]string{"n1", "n2"}}))))
		return strings.TrimSpace(rec.Body.String())
	}
	passes := `{"Nodes":null,"NodeNames":["n1","n2"],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`
	held := `{"Nodes":null,"NodeNames":[],"FailedNodes":{"n1":"node(s) unavailable due to ReadWriteOnce volume being placed with another pod","n2":"node(s) unavailable due to ReadWriteOnce volume being placed with another pod"},"FailedAndUnresolvableNodes":{},"Error":""}`

	steps := []struct {
		name    string
		pod     string
		claim   string
		advance time.Duration
		want    string
	}{
		{name: "first pod passes and reserves", pod: "a", claim: "shared", want: passes},
		{name: "second pod is held back", pod: "b", claim: "shared", want: held},
		{name: "first pod filtered again still passes", pod: "a", claim: "shared", advance: 5 * time.Second, want: passes},
		{name: "ReadWriteMany claims are not reserved", pod: "c", claim: "wide", want: passes},
		{name: "another pod of a ReadWriteMany claim passes", pod: "d", claim: "wide", want: passes},
		{name: "the reservation expires", pod: "b", claim: "shared", advance: 11 * time.Second, want: passes},
	}
	for _, step := range steps {
		now = now.Add(step.advance)
		if diff := cmp.Diff(step.want, filterPod(step.pod, step.claim)); diff != "" {
			t.Fatalf("%s (-want,+got):\n%s", step.name, diff)
		}
	}
}
