package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	"github.com/volplace/volplace/cmd/volplace/app/config"
	"github.com/volplace/volplace/extender"
	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

// pendingClaims is how many claims the parity check's pending pod has: a
// bound zonal one, a zonal and a local one to provision, so that node
// affinity, CSINodes, capacities and attachments all count.
const pendingClaims = 3

// maxDiff bounds the difference the report quotes.
const maxDiff = 4000

// CacheCheck tells whether volplace's caches hold the cluster. The
// extender's filter answer for LargeCluster's pending pod over every node
// must equal the answer of the same handler over the created objects in
// memory (nodes, CSINodes, PVs, claims, classes, capacities, attachments),
// and the webhook must deny deleting a claim a pod uses (pods).
type CacheCheck struct {
	Nodes int `json:"nodes"`
	// Fit counts the nodes volplace lets the pod on; Unknown the nodes its
	// cache does not hold.
	Fit         int  `json:"fit"`
	Unknown     int  `json:"unknown"`
	FilterMatch bool `json:"filterMatch"`
	InUseDenied bool `json:"inUseDenied"`
	// Diff is the difference, (-in memory, +volplace), when they differ.
	Diff string `json:"diff,omitempty"`
}

// OK reports whether both checks passed.
func (c CacheCheck) OK() bool { return c.FilterMatch && c.InUseDenied }

// checkFilter asks volplace's extender and an in-memory one about the
// pending pod on every node of objs.
func checkFilter(ctx context.Context, extenderURL string, objs []runtime.Object) (CacheCheck, error) {
	var names []string
	for _, obj := range objs {
		if n, ok := obj.(*corev1.Node); ok {
			names = append(names, n.Name)
		}
	}
	body, err := json.Marshal(&extenderv1.ExtenderArgs{Pod: st.PendingPod(pendingClaims), NodeNames: &names})
	if err != nil {
		return CacheCheck{}, fmt.Errorf("encoding the filter request: %w", err)
	}
	want, err := expectedFilter(objs, body)
	if err != nil {
		return CacheCheck{}, err
	}
	got, err := postFilter(ctx, extenderURL+extender.FilterPath, body)
	if err != nil {
		return CacheCheck{}, err
	}
	p := CacheCheck{Nodes: len(names), Diff: cmp.Diff(want, got)}
	p.FilterMatch = p.Diff == ""
	if len(p.Diff) > maxDiff {
		p.Diff = p.Diff[:maxDiff] + "\n..."
	}
	if got.NodeNames != nil {
		p.Fit = len(*got.NodeNames)
	}
	for _, reasons := range []extenderv1.FailedNodesMap{got.FailedNodes, got.FailedAndUnresolvableNodes} {
		for _, reason := range reasons {
			if reason == topology.ErrReasonNodeUnknown {
				p.Unknown++
			}
		}
	}
	return p, nil
}

// expectedFilter answers the request with volplace's extender handler and
// default configuration over a static snapshot of objs.
func expectedFilter(objs []runtime.Object, body []byte) (*extenderv1.ExtenderFilterResult, error) {
	snap, err := store.NewStatic(objs...)
	if err != nil {
		return nil, fmt.Errorf("building the in-memory snapshot: %w", err)
	}
	handler, err := extender.NewHandler(topology.NewEvaluator(snap, config.Default().TopologyOptions()), extender.Options{MaxBodyBytes: extender.DefaultMaxBodyBytes})
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, extender.FilterPath, bytes.NewReader(body)))
	return decodeFilter(rec.Code, rec.Body.Bytes())
}

func postFilter(ctx context.Context, url string, body []byte) (*extenderv1.ExtenderFilterResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking volplace's extender: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading volplace's filter answer: %w", err)
	}
	return decodeFilter(resp.StatusCode, data)
}

func decodeFilter(code int, data []byte) (*extenderv1.ExtenderFilterResult, error) {
	if code != http.StatusOK {
		return nil, fmt.Errorf("filter: HTTP %d: %.300s", code, data)
	}
	var r extenderv1.ExtenderFilterResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding a filter answer: %w", err)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("filter answered with an error: %s", r.Error)
	}
	return &r, nil
}
