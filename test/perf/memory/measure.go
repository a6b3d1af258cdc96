package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/volplace/volplace/test/internal/harness"
)

// Memory is what volplace uses, in bytes unless said otherwise.
type Memory struct {
	// RSS and HWM are VmRSS and VmHWM (the peak RSS) from /proc.
	RSS uint64 `json:"vmRSS"`
	HWM uint64 `json:"vmHWM"`
	// HeapInuse and HeapAlloc are go_memstats_heap_{inuse,alloc}_bytes;
	// HeapLive is go_gc_heap_live_bytes, the heap the last GC found live.
	HeapInuse uint64 `json:"heapInuse"`
	HeapAlloc uint64 `json:"heapAlloc"`
	HeapLive  uint64 `json:"heapLive"`
	// Sys is go_memstats_sys_bytes, all the runtime took from the OS.
	Sys        uint64 `json:"sys"`
	Goroutines uint64 `json:"goroutines"`
	// GCCycles counts the garbage collections so far.
	GCCycles uint64 `json:"gcCycles"`
}

// The metrics Memory reads, from the Go collector of component-base's
// legacy registry.
var memoryMetrics = map[string]func(*Memory) *uint64{
	"go_memstats_heap_inuse_bytes":       func(m *Memory) *uint64 { return &m.HeapInuse },
	"go_memstats_heap_alloc_bytes":       func(m *Memory) *uint64 { return &m.HeapAlloc },
	"go_gc_heap_live_bytes":              func(m *Memory) *uint64 { return &m.HeapLive },
	"go_memstats_sys_bytes":              func(m *Memory) *uint64 { return &m.Sys },
	"go_goroutines":                      func(m *Memory) *uint64 { return &m.Goroutines },
	"go_gc_cycles_total_gc_cycles_total": func(m *Memory) *uint64 { return &m.GCCycles },
}

// measure reads the process's memory from /proc and its /metrics.
func measure(ctx context.Context, pid int, metricsURL string) (Memory, error) {
	var m Memory
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, fmt.Errorf("reading the process status: %w", err)
	}
	if m.RSS, err = procField(status, "VmRSS"); err != nil {
		return m, err
	}
	if m.HWM, err = procField(status, "VmHWM"); err != nil {
		return m, err
	}
	code, body, err := harness.HTTPGet(ctx, http.DefaultClient, metricsURL)
	if err != nil {
		return m, fmt.Errorf("reading /metrics: %w", err)
	}
	if code != http.StatusOK {
		return m, fmt.Errorf("reading /metrics: HTTP %d", code)
	}
	values := metricValues(body)
	for name, field := range memoryMetrics {
		v, ok := values[name]
		if !ok {
			return m, fmt.Errorf("/metrics has no %s", name)
		}
		*field(&m) = uint64(v)
	}
	return m, nil
}

// procField returns a "Name:   123 kB" line of /proc/<pid>/status in bytes.
func procField(status []byte, name string) (uint64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected /proc status line %q", line)
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %s: %w", name, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s in /proc status", name)
}

// metricValues returns the unlabelled samples of a Prometheus text page.
func metricValues(page []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(page))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || strings.HasPrefix(fields[0], "#") || strings.Contains(fields[0], "{") {
			continue
		}
		if v, err := strconv.ParseFloat(fields[1], 64); err == nil {
			out[fields[0]] = v
		}
	}
	return out
}
