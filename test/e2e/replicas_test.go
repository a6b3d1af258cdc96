package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/test/internal/harness"
	tt "github.com/volplace/volplace/topology/testing"
)

// Two volplace replicas behind one address must answer alike: a second
// in-process `volplace serve` on the same API server gives the same filter
// and prioritize answers, byte for byte, as the suite's.
func TestReplicasAnswerIdentically(t *testing.T) {
	t.Parallel()
	s := NewScenario(t, "replicas", ProfileDefault)
	nodes := s.CreateNodes("zone-a", "zone-b", "zone-c")
	s.CreateBoundClaim("data", func(pv *tt.PVWrapper) { pv.NodeAffinityIn(corev1.LabelTopologyZone, "zone-b") })
	s.SyncVolplace()
	second := s.StartVolplace("--extender-bind-address=127.0.0.1:0", "--webhook-bind-address=")

	names := make([]string, 0, len(nodes)+1)
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	names = append(names, "not-a-node")
	pod := tt.MakePod("probe").Namespace(s.Namespace).PVC("data").Obj()
	body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: pod, NodeNames: &names})
	if err != nil {
		t.Fatal(err)
	}
	post := func(addr, verb string) (string, error) {
		ctx, cancel := context.WithTimeout(s.ctx(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+verb, bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer func() { _ = resp.Body.Close() }()
		out, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, out)
		}
		return string(out), err
	}
	for _, verb := range []string{"/filter", "/prioritize"} {
		var first, other string
		// The second replica's cache may still be catching up: poll until
		// both answers agree, and fail with the last difference.
		err := harness.Poll(s.ctx(), syncTimeout, func() (bool, error) {
			var err error
			if first, err = post(s.F.Volplace.ExtenderAddr(), verb); err != nil {
				return false, err
			}
			if other, err = post(second.ExtenderAddr(), verb); err != nil {
				return false, err
			}
			return first == other, nil
		})
		if err != nil {
			t.Errorf("%s: replicas answer differently (-suite's,+second):\n%s", verb, cmp.Diff(first, other))
		}
	}
	if want := fmt.Sprintf("%q", nodes[1].Name); !bytes.Contains([]byte(mustPost(t, s.F.Volplace.ExtenderAddr(), body)), []byte(want)) {
		t.Errorf("filter answer does not keep the zone-b node %s", want)
	}
}

func mustPost(t *testing.T, addr string, body []byte) string {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/filter", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
