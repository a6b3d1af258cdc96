package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

// filterCase is a pod kube-scheduler asks about, in NodeNames mode with
// every node, and the answer volplace must give.
type filterCase struct {
	name string
	pod  *corev1.Pod
	// pass are the nodes that fit; failed and unresolvable the reason of
	// each node that does not.
	pass                 []string
	failed, unresolvable map[string]string
}

// reasons maps each node to a reason.
func reasons(reason string, nodes ...string) map[string]string {
	m := make(map[string]string, len(nodes))
	for _, n := range nodes {
		m[n] = reason
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// pendingPod returns a pod to schedule with claims, or an emptyDir volume
// without.
func pendingPod(name string, claims ...string) *corev1.Pod {
	w := st.MakePod(name).Namespace(Namespace).EmptyDir("scratch")
	for _, c := range claims {
		w = w.PVC(c)
	}
	pod := w.Obj()
	pod.UID = types.UID("soak-" + name)
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}}
	return pod
}

// about names the volume or claim a reason is about, as volplace appends
// it.
func about(reason, subject string) string { return reason + " (" + subject + ")" }

// filterCases are the extender's questions. Every zonal volume of the
// cluster is attachable, and node-a1 has no attach slot left. A node that
// fails several rules gets the first reason that preemption cannot help.
func filterCases() []filterCase {
	maxCount := about(topology.ErrReasonMaxVolumeCountExceeded, ZonalDriver)
	zonalNowhere := about(topology.ErrReasonBindConflict, ZonalClaim)
	localTooSmall := about(topology.ErrReasonNotEnoughSpace, LocalClaim)
	inUseB2 := DataClaim("node-b2", 1)
	return []filterCase{
		{
			name: "no-claims", pod: pendingPod("no-claims"),
			pass: Nodes(),
		},
		{
			name: "bound-in-zone-b", pod: pendingPod("bound-b", BoundClaim),
			pass:         NodesIn("zone-b"),
			unresolvable: reasons(about(topology.ErrReasonNodeConflict, "pv-"+BoundClaim), NodesIn("zone-a", "zone-c")...),
		},
		{
			name: "zonal-to-provision", pod: pendingPod("zonal", ZonalClaim),
			pass:         slices.Concat(NodesIn("zone-a")[1:], NodesIn("zone-b")),
			failed:       reasons(maxCount, "node-a1"),
			unresolvable: reasons(zonalNowhere, NodesIn("zone-c")...),
		},
		{
			name: "local-to-provision", pod: pendingPod("local", LocalClaim),
			pass:         NodesIn("zone-b", "zone-c"),
			unresolvable: reasons(localTooSmall, NodesIn("zone-a")...),
		},
		{
			name: "in-use-read-write-once", pod: pendingPod("shares-b2", inUseB2),
			pass: []string{"node-b2"},
			unresolvable: merge(reasons(about(topology.ErrReasonNodeConflict, "pv-"+inUseB2), NodesIn("zone-a", "zone-c")...),
				reasons(about(topology.ErrReasonReadWriteOnceConflict, inUseB2), "node-b1", "node-b3", "node-b4")),
		},
		{
			name: "zonal-and-local", pod: pendingPod("zonal-local", ZonalClaim, LocalClaim),
			pass:         NodesIn("zone-b"),
			unresolvable: merge(reasons(localTooSmall, NodesIn("zone-a")...), reasons(zonalNowhere, NodesIn("zone-c")...)),
		},
		{
			name: "missing-claim", pod: pendingPod("missing", "no-such-claim"),
			unresolvable: reasons(`persistentvolumeclaim "no-such-claim" not found`, Nodes()...),
		},
	}
}

// want returns the ExtenderFilterResult the case expects.
func (c *filterCase) want() *extenderv1.ExtenderFilterResult {
	pass := slices.Clone(c.pass)
	if pass == nil {
		pass = []string{}
	}
	r := &extenderv1.ExtenderFilterResult{NodeNames: &pass, FailedNodes: c.failed, FailedAndUnresolvableNodes: c.unresolvable}
	if r.FailedNodes == nil {
		r.FailedNodes = extenderv1.FailedNodesMap{}
	}
	if r.FailedAndUnresolvableNodes == nil {
		r.FailedAndUnresolvableNodes = extenderv1.FailedNodesMap{}
	}
	return r
}

// ExtenderRequests asks each filter case once, checks the answers against
// the cases, and returns filter and prioritize requests whose every later
// answer must equal the first, byte for byte.
func ExtenderRequests(ctx context.Context, client *http.Client, baseURL string) ([]Request, error) {
	var out []Request
	var errs []error
	nodes := Nodes()
	for _, c := range filterCases() {
		args, err := json.Marshal(&extenderv1.ExtenderArgs{Pod: c.pod, NodeNames: &nodes})
		if err != nil {
			return nil, err
		}
		filter := Request{Name: "filter " + c.name, URL: baseURL + extender.FilterPath, Body: args}
		golden, err := post(ctx, client, filter)
		if err != nil {
			return nil, err
		}
		var got extenderv1.ExtenderFilterResult
		if err := json.Unmarshal(golden, &got); err != nil {
			return nil, fmt.Errorf("%s: decoding %s: %w", filter.Name, golden, err)
		}
		if diff := cmp.Diff(c.want(), &got, cmpopts.EquateEmpty()); diff != "" {
			errs = append(errs, fmt.Errorf("%s: unexpected answer (-want,+got):\n%s", filter.Name, diff))
		}
		filter.Check = sameAs(golden)

		prioritize := Request{Name: "prioritize " + c.name, URL: baseURL + extender.PrioritizePath, Body: args}
		if golden, err = post(ctx, client, prioritize); err != nil {
			return nil, err
		}
		if err := checkPriorities(golden, nodes, topology.HasClaims(c.pod)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", prioritize.Name, err))
		}
		prioritize.Check = sameAs(golden)
		out = append(out, filter, prioritize)
	}
	return out, errors.Join(errs...)
}

// checkPriorities checks that a HostPriorityList scores each node once, in
// order, within 0..10, and all 0 for a pod without claims.
func checkPriorities(body []byte, nodes []string, claims bool) error {
	var list extenderv1.HostPriorityList
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("decoding %s: %w", body, err)
	}
	hosts := make([]string, len(list))
	for i, p := range list {
		hosts[i] = p.Host
		if p.Score < 0 || p.Score > 10 || (!claims && p.Score != 0) {
			return fmt.Errorf("node %s scored %d: %s", p.Host, p.Score, body)
		}
	}
	if diff := cmp.Diff(nodes, hosts); diff != "" {
		return fmt.Errorf("scored nodes (-want,+got):\n%s", diff)
	}
	return nil
}

// sameAs checks that an answer is HTTP 200 with the golden body.
func sameAs(golden []byte) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("HTTP %d: %s", status, body)
		}
		if !bytes.Equal(body, golden) {
			return fmt.Errorf("answer changed:\n got %s\nwant %s", body, golden)
		}
		return nil
	}
}

// post sends a request once and returns the body of its HTTP 200 answer.
func post(ctx context.Context, client *http.Client, r Request) ([]byte, error) {
	var buf bytes.Buffer
	r.Check = func(status int, b []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("HTTP %d: %s", status, b)
		}
		return nil
	}
	if err := Do(ctx, client, &r, &buf); err != nil {
		return nil, fmt.Errorf("%s: %w", r.Name, err)
	}
	return buf.Bytes(), nil
}
