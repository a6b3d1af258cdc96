package faults

import (
	"context"
	"fmt"
	"strconv"
)

// compactEtcd compacts etcd's history up to its current revision, through
// etcd's JSON gateway to the v3 API (envtest's etcd serves it on its client
// URL), and returns that revision. Watches from any older resourceVersion of
// the resources in watchUncached then end with HTTP 410.
func (su *suite) compactEtcd(ctx context.Context) (int64, error) {
	base := su.cp.Env.ControlPlane.Etcd.URL.String()
	// Every range answer carries the store's current revision; key "\x00"
	// matches nothing.
	var rng struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := postJSON(ctx, base+"/v3/kv/range", map[string]any{"key": "AA==", "count_only": true}, &rng); err != nil {
		return 0, fmt.Errorf("reading etcd's revision: %w", err)
	}
	rev, err := strconv.ParseInt(rng.Header.Revision, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcd's revision %q: %w", rng.Header.Revision, err)
	}
	if err := postJSON(ctx, base+"/v3/kv/compaction", map[string]any{"revision": rev, "physical": true}, nil); err != nil {
		return 0, fmt.Errorf("compacting etcd: %w", err)
	}
	return rev, nil
}
