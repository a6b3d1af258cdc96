package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	st "github.com/volplace/volplace/topology/testing"
)

// targetRSS is the target for volplace's resident memory.
const targetRSS = 256 << 20

// Duration is a time.Duration that encodes as a string.
type Duration time.Duration

// MarshalJSON encodes the duration as "1m2.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Report is the outcome of a run.
type Report struct {
	Cluster  st.ClusterSize `json:"cluster"`
	Objects  int            `json:"objects"`
	Workers  int            `json:"workers"`
	Requests int64          `json:"requests"`
	// CreateDuration is how long creating the objects took; SyncDuration
	// from starting volplace to its /readyz answering 200.
	CreateDuration Duration `json:"createDuration"`
	// Runs are volplace's measurements, one per GOMEMLIMIT.
	Runs []VolplaceRun `json:"runs"`
}

// VolplaceRun is one volplace process measured after syncing the cluster.
type VolplaceRun struct {
	// GoMemLimit is its GOMEMLIMIT, "" when unset.
	GoMemLimit   string     `json:"gomemlimit"`
	SyncDuration Duration   `json:"syncDuration"`
	Memory       Memory     `json:"memory"`
	Cache        CacheCheck `json:"cacheCheck"`
	// TargetMet is whether VmRSS is within the 256 MiB.
	TargetMet bool `json:"rssTargetMet"`
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Write prints the report as text or as JSON.
func (r *Report) Write(w io.Writer, format string) error {
	for i := range r.Runs {
		r.Runs[i].TargetMet = r.Runs[i].Memory.RSS <= targetRSS
	}
	if format == outputJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	created := time.Duration(r.CreateDuration)
	if _, err := fmt.Fprintf(w, "cluster: %d nodes, %d pods, %d claims: %d objects\ncreated with %d workers in %s (%d requests, %.0f objects/s)\n",
		r.Cluster.Nodes, r.Cluster.Pods, r.Cluster.Claims, r.Objects,
		r.Workers, created.Round(time.Millisecond), r.Requests, float64(r.Objects)/created.Seconds()); err != nil {
		return err
	}
	for _, run := range r.Runs {
		if err := run.write(w); err != nil {
			return err
		}
	}
	return nil
}

func (run *VolplaceRun) write(w io.Writer) error {
	m, c := run.Memory, run.Cache
	limit := run.GoMemLimit
	if limit == "" {
		limit = "unset"
	}
	_, err := fmt.Fprintf(w, `
volplace with GOMEMLIMIT %s: ready (caches synced) %s after start
VmRSS %.1f MiB (target %d MiB: met %t), VmHWM %.1f MiB
Go heap: in use %.1f MiB, allocated %.1f MiB, live at last GC %.1f MiB, runtime total %.1f MiB; %d GC cycles, %d goroutines
cache check: filter of the pending pod over %d nodes: %d fit, %d unknown to volplace, same answer as in memory: %t; delete of in-use claim %s denied naming %s: %t
`,
		limit, time.Duration(run.SyncDuration).Round(time.Millisecond),
		mib(m.RSS), targetRSS>>20, run.TargetMet, mib(m.HWM),
		mib(m.HeapInuse), mib(m.HeapAlloc), mib(m.HeapLive), mib(m.Sys), m.GCCycles, m.Goroutines,
		c.Nodes, c.Fit, c.Unknown, c.FilterMatch, inUseClaim, inUseUser, c.InUseDenied)
	if err == nil && c.Diff != "" {
		_, err = fmt.Fprintf(w, "difference (-in memory, +volplace):\n%s\n", c.Diff)
	}
	return err
}
