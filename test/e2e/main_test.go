package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
)

func TestMain(m *testing.M) {
	flag.Parse()
	assets := harness.Assets("e2e", "./test/e2e/")
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	// The scenarios mostly wait on kube-scheduler: run them all at once
	// rather than GOMAXPROCS at a time, unless -parallel says otherwise.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "16")
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	f, err := Start(ctx, assets)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "e2e: control plane, volplace (extender %s, webhooks %s, health %s) and kube-scheduler up in %v\n",
		f.Volplace.ExtenderAddr(), f.WebhookAddr, f.Volplace.HealthAddr(), time.Since(start).Round(time.Millisecond))
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: kube-scheduler runs with:\n%s", f.SchedulerConfig)
	}
	fw = f
	if f.RunsVolplaceScheduler() {
		Profiles = append(Profiles, ProfileVolplaceScheduler)
		fmt.Fprintf(os.Stderr, "e2e: volplace-scheduler (%s) runs the scenarios too, as profile %s\n", os.Getenv(EnvVolplaceScheduler), ProfileVolplaceScheduler)
	}

	code := m.Run()
	// Webhook and explain scenarios alone may schedule nothing.
	if code == 0 && scheduled.Load() > 0 {
		if err := checkMetrics(f); err != nil {
			fmt.Fprintf(os.Stderr, "--- FAIL: volplace metrics after the scenarios: %v\n", err)
			code = 1
		}
	}
	if err := checkNoSecretsLogged(f); err != nil {
		fmt.Fprintf(os.Stderr, "--- FAIL: volplace's log after the scenarios: %v\n", err)
		code = 1
	}
	if code != 0 {
		f.KeepLogs()
	}
	if err := f.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: teardown: %v\n", err)
	}
	os.Exit(code)
}

// checkNoSecretsLogged reads everything volplace logged during the run, at
// -v=5, and fails on certificate or key material and on the credentials it
// ran with.
func checkNoSecretsLogged(f *Framework) error {
	data, err := os.ReadFile(f.volplaceLog)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("volplace logged nothing: the check would prove nothing")
	}
	secrets := []string{"-----BEGIN", "PRIVATE KEY", "CERTIFICATE-----"}
	for _, s := range [][]byte{f.Config.CertData, f.Config.KeyData} {
		if len(s) > 0 {
			secrets = append(secrets, base64.StdEncoding.EncodeToString(s)[:32])
		}
	}
	if f.Config.BearerToken != "" {
		secrets = append(secrets, f.Config.BearerToken)
	}
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			return fmt.Errorf("%s holds secret material starting %q", f.volplaceLog, s[:min(len(s), 12)])
		}
	}
	return nil
}

// checkMetrics reads volplace's /metrics once the scenarios ran: kube-
// scheduler must have called the filter verb, successfully.
func checkMetrics(f *Framework) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := f.Metrics(ctx)
	if err != nil {
		return err
	}
	const name = "volplace_extender_requests_total"
	var lines []string
	ok := false
	for line := range strings.Lines(page) {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		lines = append(lines, strings.TrimSpace(line))
		if strings.Contains(line, `verb="filter"`) && strings.Contains(line, `code="200"`) {
			fields := strings.Fields(line)
			if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil && v > 0 {
				ok = true
			}
		}
	}
	if !ok {
		return fmt.Errorf(`no %s{code="200",verb="filter"} > 0; the series are:\n%s`, name, strings.Join(lines, "\n"))
	}
	fmt.Fprintf(os.Stderr, "e2e: volplace metrics after the scenarios:\n  %s\n", strings.Join(lines, "\n  "))
	return nil
}

// Placement maps each pod of a scenario to the node it landed on, without
// the scenario prefix, or to "Pending: <reason>".
type Placement map[string]string

// pending is the Placement of a pod that stays Pending for a reason.
func pending(reason string) string { return "Pending: " + reason }

// profileTag names a profile in scenario names (which become namespace,
// node and driver names).
func profileTag(profile string) string {
	switch profile {
	case ProfileDefault:
		return "dflt"
	case ProfileVolplaceScheduler:
		return "vpsched"
	}
	return "vponly"
}

// underBothProfiles runs a scenario under each profile, in parallel, each in
// its own namespace with its own nodes, then checks that both placed the
// pods alike and, when volplace-scheduler runs, that the pods the
// scenario waited on as unschedulable got the same FailedScheduling
// message from it as from the extender's profile.
func underBothProfiles(t *testing.T, name string, run func(*Scenario) Placement) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]Placement{}
	failures := map[string]map[string]string{}
	t.Run("profiles", func(t *testing.T) { // returns once both are done
		for _, profile := range Profiles {
			t.Run(profile, func(t *testing.T) {
				t.Parallel()
				s := NewScenario(t, name+"-"+profileTag(profile), profile)
				p := run(s)
				mu.Lock()
				defer mu.Unlock()
				got[profile] = p
				s.mu.Lock()
				failures[profile] = s.failures
				s.mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, profile := range Profiles[1:] {
		if diff := cmp.Diff(got[ProfileDefault], got[profile]); diff != "" {
			t.Errorf("the profiles placed the pods differently (-%s +%s):\n%s", ProfileDefault, profile, diff)
		}
	}
	// The plugin gives the extender's reasons, node by node: kube-scheduler
	// totals them into the same FailedScheduling events. One line differs
	// by design: volplace-scheduler's profile keeps VolumeBinding (to bind
	// claims), which runs before Volplace and rejects a node outside a
	// PV's node affinity first, with the same words but not the PV's name.
	if _, ok := got[ProfileVolplaceScheduler]; ok {
		ext, plugin := maps.Clone(failures[ProfileVolplaceOnly]), failures[ProfileVolplaceScheduler]
		for pod, msg := range ext {
			ext[pod] = withoutSubjects(msg, topology.ErrReasonNodeConflict)
		}
		if diff := cmp.Diff(ext, plugin); diff != "" {
			t.Errorf("FailedScheduling events differ (-%s +%s):\n%s", ProfileVolplaceOnly, ProfileVolplaceScheduler, diff)
		}
	}
}

// withoutSubjects drops the subjects volplace names after a reason, " (a,
// b)", from an event's message.
func withoutSubjects(msg, reason string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, reason+" (")
		if i < 0 {
			break
		}
		end := strings.IndexByte(msg[i+len(reason):], ')')
		if end < 0 {
			break
		}
		b.WriteString(msg[:i+len(reason)])
		msg = msg[i+len(reason)+end+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// expectPlacement compares a scenario's placement with the expected one.
func expectPlacement(s *Scenario, want, got Placement) {
	s.T.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		s.T.Errorf("placement under %s (-want +got):\n%s", s.Profile, diff)
	}
}

func contains(s, substr string) bool { return strings.Contains(s, substr) }

func TestWithoutSubjects(t *testing.T) {
	const r = "node(s) didn't match PersistentVolume's node affinity"
	for _, tc := range []struct{ in, want string }{
		{"0/3 nodes are available: 3 " + r + " (pv-a, pv-b).", "0/3 nodes are available: 3 " + r + "."},
		{"1 " + r + " (a), 2 exceed (d), 1 " + r + " (b)", "1 " + r + ", 2 exceed (d), 1 " + r},
		{"1 " + r + ".", "1 " + r + "."},
		{"1 " + r + " (unclosed", "1 " + r + " (unclosed"},
	} {
		if got := withoutSubjects(tc.in, r); got != tc.want {
			t.Errorf("withoutSubjects(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOwnNodes(t *testing.T) {
	s := &Scenario{Name: "limits-vpsched"}
	msg := "0/75 nodes are available: 1 node(s) were unschedulable, 2 node(s) exceed max volume count (limits-vpsched.csi.e2e.volplace.io), " +
		"72 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/75 nodes are available: " +
		"2 No preemption victims found for incoming pod, 73 Preemption is not helpful for scheduling."
	want := "2 node(s) exceed max volume count (<scenario>.csi.e2e.volplace.io); preemption: 2 No preemption victims found for incoming pod"
	if got := s.ownNodes(msg); got != want {
		t.Errorf("ownNodes() = %q\nwant %q", got, want)
	}
}
