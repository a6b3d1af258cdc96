package deploy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/certs"
	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/test/internal/harness"
)

// The scheduling scenario: three nodes in zones a, b and c, each with a
// CSINode that registers driver; a claim bound to a volume of driver that
// only zone b reaches. Every scheduler configuration must place the claim's
// pod on the zone-b node, having called volplace.
const (
	driver     = "deploy.csi.volplace.io"
	wantNode   = "deploy-node-b"
	claimName  = "data"
	testImage  = "registry.invalid/volplace-deploy:none"
	zoneOfWant = "b"
)

var zones = []string{"a", "b", "c"}

func nodeName(zone string) string { return "deploy-node-" + zone }

// schedulerCase is a kube-scheduler configuration under test.
type schedulerCase struct {
	name string
	// schedulerName is the profile the pod asks for.
	schedulerName string
	// tls selects the volplace that serves its extender over mutual TLS.
	tls bool
	// serviceAccount, if set, is the ServiceAccount of the
	// secondary-scheduler overlay kube-scheduler runs as; else it is an
	// admin.
	serviceAccount string
	// config returns the configuration kube-scheduler runs with, given
	// volplace and the kubeconfig to use.
	config func(t *testing.T, v *volplaceServer, kubeconfig string) []byte
	// plugin runs volplace-scheduler, which calls no extender, as
	// serviceAccount after applying its overlay.
	plugin bool
}

// TestSchedulerConfigurations runs the real kube-scheduler with each shipped
// or generated configuration, rewritten only where a test cluster must
// differ (kubeconfig, volplace's address, TLS file paths), and checks that
// it calls volplace and places a pod next to its zonal volume. The cases
// run one after another: the default and secondary configurations each share
// a profile name and a leader-election Lease, and volplace's request counter
// tells which scheduler called it.
func TestSchedulerConfigurations(t *testing.T) {
	cl.keepOnFailure(t)
	v := volplaceAsServiceAccount(t) // also creates volplace-system, the secondary's Lease namespace
	if err := cl.ensureNamespace(t.Context(), "kube-system"); err != nil {
		t.Fatal(err)
	}
	createNodes(t)

	cases := []schedulerCase{
		{
			name:          "manifests/scheduler/kube-scheduler-config.yaml",
			schedulerName: "default-scheduler",
			config: func(t *testing.T, v *volplaceServer, kubeconfig string) []byte {
				return rewriteConfig(t, readFile(t, cl.path("manifests/scheduler/kube-scheduler-config.yaml")), map[string]string{
					"clientConnection.kubeconfig": kubeconfig,
					"extenders.0.urlPrefix":       "http://" + v.ExtenderAddr(),
				})
			},
		},
		{
			name:          "volplace config scheduler --secondary",
			schedulerName: app.SecondarySchedulerName,
			config: func(t *testing.T, v *volplaceServer, kubeconfig string) []byte {
				o := app.NewSchedulerConfigOptions()
				o.URL, o.Secondary = "http://"+v.ExtenderAddr(), true
				return rewriteConfig(t, generateConfig(t, o), map[string]string{
					"clientConnection.kubeconfig": kubeconfig,
				})
			},
		},
		{
			name:          "volplace config scheduler --secondary --tls-ca (mutual TLS)",
			schedulerName: app.SecondarySchedulerName,
			tls:           true,
			config: func(t *testing.T, v *volplaceServer, kubeconfig string) []byte {
				o := app.NewSchedulerConfigOptions()
				o.URL, o.Secondary = "https://"+v.ExtenderAddr(), true
				o.TLSCAFile, o.TLSCertFile, o.TLSKeyFile = extenderTLS.caFile, extenderTLS.clientCertFile, extenderTLS.clientKeyFile
				return rewriteConfig(t, generateConfig(t, o), map[string]string{
					"clientConnection.kubeconfig": kubeconfig,
				})
			},
		},
		{
			name:          "manifests/scheduler/kube-scheduler-config-tls.yaml",
			schedulerName: "default-scheduler",
			tls:           true,
			config: func(t *testing.T, v *volplaceServer, kubeconfig string) []byte {
				return rewriteConfig(t, readFile(t, cl.path("manifests/scheduler/kube-scheduler-config-tls.yaml")), map[string]string{
					"clientConnection.kubeconfig":    kubeconfig,
					"extenders.0.urlPrefix":          "https://" + v.ExtenderAddr(),
					"extenders.0.tlsConfig.caFile":   extenderTLS.caFile,
					"extenders.0.tlsConfig.certFile": extenderTLS.clientCertFile,
					"extenders.0.tlsConfig.keyFile":  extenderTLS.clientKeyFile,
				})
			},
		},
		{
			name:           "manifests/overlays/secondary-scheduler as its ServiceAccount",
			schedulerName:  app.SecondarySchedulerName,
			serviceAccount: "volplace-scheduler",
			config: func(t *testing.T, v *volplaceServer, kubeconfig string) []byte {
				return rewriteConfig(t, readFile(t, cl.path("manifests/overlays/secondary-scheduler/scheduler-config.yaml")), map[string]string{
					"clientConnection.kubeconfig": kubeconfig,
					"extenders.0.urlPrefix":       "http://" + v.ExtenderAddr(),
				})
			},
		},
		{
			name:           "manifests/overlays/volplace-scheduler as its ServiceAccount",
			schedulerName:  app.SecondarySchedulerName,
			serviceAccount: "volplace-scheduler",
			plugin:         true,
			config: func(t *testing.T, _ *volplaceServer, kubeconfig string) []byte {
				return rewriteConfig(t, readFile(t, cl.path("manifests/overlays/volplace-scheduler/scheduler-config.yaml")), map[string]string{
					"clientConnection.kubeconfig": kubeconfig,
				})
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ext := v
			if tc.tls {
				ext = volplaceWithExtenderTLS(t)
			}
			runSchedulerCase(t, tc, ext)
		})
	}
	assertNoForbidden(t)
}

// caseRuns numbers the runs of the cases, so that -count=N gets new names.
var caseRuns atomic.Int32

func runSchedulerCase(t *testing.T, tc schedulerCase, v *volplaceServer) {
	ctx := t.Context()
	run := caseRuns.Add(1)
	ns := fmt.Sprintf("deploy-sched-%d", run)
	if err := cl.ensureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pvName := fmt.Sprintf("deploy-pv-%d", run)
	createBoundClaim(t, ns, pvName)
	waitForVolplaceCache(t, v, ns, pvName)

	var binary string
	if tc.plugin {
		if binary = os.Getenv(harness.EnvVolplaceScheduler); binary == "" {
			if os.Getenv(harness.EnvRequired) == "1" {
				t.Fatalf("%s is not set: VOLPLACE_SCHEDULER=\"$(hack/volplace-scheduler.sh)\" (make test sets it)", harness.EnvVolplaceScheduler)
			}
			t.Skipf("%s is not set (hack/volplace-scheduler.sh prints it)", harness.EnvVolplaceScheduler)
		}
	}
	kubeconfig := cl.kubeconfig
	if tc.serviceAccount != "" {
		// As in the overlay's Deployment: every client of kube-scheduler,
		// including delegated authentication and authorization, uses the
		// ServiceAccount.
		applySecondaryScheduler(t)
		if tc.plugin {
			applyVolplaceScheduler(t)
		}
		var err error
		if kubeconfig, err = cl.serviceAccountKubeconfig(installNamespace, tc.serviceAccount); err != nil {
			t.Fatal(err)
		}
	}
	config := tc.config(t, v, kubeconfig)
	sched := cl.startScheduler(t, fmt.Sprintf("case-%d", run), binary, config, kubeconfig)

	before, err := extenderRequests(ctx, v, "filter", "200")
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: corev1.PodSpec{
			SchedulerName:                 tc.schedulerName,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{
				Name: "app", Image: testImage,
				VolumeMounts: []corev1.VolumeMount{{Name: claimName, MountPath: "/data"}},
			}},
			Volumes: []corev1.Volume{{Name: claimName, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName},
			}}},
		},
	}
	if _, err := cl.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var node string
	err = harness.Poll(ctx, startTimeout, func() (bool, error) {
		select {
		case <-sched.Exited():
			return false, sched.Failure()
		default:
		}
		p, err := cl.client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = p.Spec.NodeName
		return node != "", nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s (schedulerName %s) was not scheduled within %v: %v\n--- its events:\n%s",
			ns, pod.Name, tc.schedulerName, startTimeout, err, podEvents(ctx, ns, pod.Name))
	}
	if node != wantNode {
		t.Errorf("pod %s/%s landed on %s, want %s (the only zone its volume reaches)\n--- its events:\n%s", ns, pod.Name, node, wantNode, podEvents(ctx, ns, pod.Name))
	}
	after, err := extenderRequests(ctx, v, "filter", "200")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case tc.plugin && after != before:
		t.Errorf("volplace-scheduler called the extender: volplace_extender_requests_total{verb=\"filter\",code=\"200\"} went from %v to %v", before, after)
	case !tc.plugin && after <= before:
		t.Errorf("kube-scheduler did not call volplace: volplace_extender_requests_total{verb=\"filter\",code=\"200\"} stayed at %v (an ignorable extender that fails is skipped silently)", after)
	}
	t.Logf("scheduled on %s in %v; volplace answered %v filter call(s)", node, time.Since(start).Round(time.Millisecond), after-before)
	if tc.serviceAccount != "" {
		if lines := sched.Tail(10, "forbidden"); lines != "" {
			t.Errorf("kube-scheduler, as ServiceAccount %s, was refused permissions:\n%s", tc.serviceAccount, lines)
		}
	}
}

// createNodes creates the zones' nodes, Ready and untainted, with their
// CSINodes, unless they exist.
func createNodes(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	for _, zone := range zones {
		name := nodeName(zone)
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelHostname:     name,
			corev1.LabelTopologyZone: zone,
		}}}
		created, err := cl.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		created.Status.Capacity = resources
		created.Status.Allocatable = resources.DeepCopy()
		created.Status.Conditions = []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "no kubelet runs in this test", LastHeartbeatTime: now, LastTransitionTime: now,
		}}
		updated, err := cl.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(updated.Spec.Taints) > 0 {
			t.Fatalf("node %s has taints %v: is the TaintNodesByCondition admission plugin on?", name, updated.Spec.Taints)
		}
		csiNode := &storagev1.CSINode{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{
				Name: driver, NodeID: name, TopologyKeys: []string{corev1.LabelTopologyZone},
			}}},
		}
		if _, err := cl.client.StorageV1().CSINodes().Create(ctx, csiNode, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// createBoundClaim creates the claim "data" in ns and the PersistentVolume
// pvName of the CSI driver in zone b, bound to each other as the PV
// controller leaves them.
func createBoundClaim(t *testing.T, ns, pvName string) {
	t.Helper()
	ctx := t.Context()
	size := resource.MustParse("1Gi")
	modes := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: claimName, Annotations: map[string]string{"pv.kubernetes.io/bind-completed": "yes"}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      modes,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
			StorageClassName: ptr.To(""),
			VolumeName:       pvName,
		},
	}
	pvc, err := cl.client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   modes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: driver, VolumeHandle: pvName,
			}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zoneOfWant}}},
			}}}},
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: claimName, UID: pvc.UID,
			},
		},
	}
	pv, err = cl.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv.Status.Phase = corev1.VolumeBound
	if _, err := cl.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc.Status = corev1.PersistentVolumeClaimStatus{
		Phase: corev1.ClaimBound, AccessModes: modes, Capacity: corev1.ResourceList{corev1.ResourceStorage: size},
	}
	if _, err := cl.client.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitForVolplaceCache waits until volplace's informers have the nodes,
// their CSINodes and the bound claim and volume: the extender rejects nodes
// it does not know, and nothing would wake the rejected pod up in time.
func waitForVolplaceCache(t *testing.T, v *volplaceServer, ns, pvName string) {
	t.Helper()
	s := v.Store()
	var missing string
	err := harness.Poll(t.Context(), 15*time.Second, func() (bool, error) {
		for _, zone := range zones {
			if _, ok := s.Node(nodeName(zone)); !ok {
				missing = "Node " + nodeName(zone)
				return false, nil
			}
			if _, ok := s.CSINode(nodeName(zone)); !ok {
				missing = "CSINode " + nodeName(zone)
				return false, nil
			}
		}
		if pv, ok := s.PersistentVolume(pvName); !ok || pv.Status.Phase != corev1.VolumeBound {
			missing = "bound PersistentVolume " + pvName
			return false, nil
		}
		if pvc, ok := s.PersistentVolumeClaim(ns, claimName); !ok || pvc.Status.Phase != corev1.ClaimBound {
			missing = "bound PersistentVolumeClaim " + ns + "/" + claimName
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("volplace %s's cache lacks the %s: %v", v.Name, missing, err)
	}
}

// podEvents lists the events of a pod, for failure messages.
func podEvents(ctx context.Context, ns, name string) string {
	events, err := cl.client.CoreV1().Events(ns).List(context.WithoutCancel(ctx), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range events.Items {
		fmt.Fprintf(&b, "%s %s %s: %s\n", e.Type, e.Reason, e.Source.Component+e.ReportingController, e.Message)
	}
	return b.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// generateConfig runs `volplace config scheduler` with options.
func generateConfig(t *testing.T, o *app.SchedulerConfigOptions) []byte {
	t.Helper()
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatalf("volplace config scheduler: %v", errs)
	}
	var out bytes.Buffer
	if err := o.Run(&out); err != nil {
		t.Fatalf("volplace config scheduler: %v", err)
	}
	return out.Bytes()
}

// rewriteConfig sets fields of a YAML document, by dotted paths whose
// numeric parts index lists. Every map on the way but the last must exist.
func rewriteConfig(t *testing.T, data []byte, set map[string]string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parsing the scheduler configuration: %v\n%s", err, data)
	}
	for path, value := range set {
		parts := strings.Split(path, ".")
		var cur any = doc
		for i, part := range parts[:len(parts)-1] {
			var next any
			switch c := cur.(type) {
			case map[string]any:
				next = c[part]
				if next == nil && i == 0 {
					next = map[string]any{} // e.g. clientConnection, absent with --secondary
					c[part] = next
				}
			case []any:
				n, err := strconv.Atoi(part)
				if err != nil || n >= len(c) {
					t.Fatalf("scheduler configuration: no %s in %s", path, data)
				}
				next = c[n]
			}
			if next == nil {
				t.Fatalf("scheduler configuration: no %s in\n%s", path, data)
			}
			cur = next
		}
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("scheduler configuration: %s is not in a map", path)
		}
		m[parts[len(parts)-1]] = value
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// extenderTLS holds the certificates of the TLS cases: a CA, volplace's
// serving certificate for 127.0.0.1 and kube-scheduler's client
// certificate, all signed by the CA.
var extenderTLS struct {
	once                          sync.Once
	err                           error
	volplace                      *volplaceServer
	caFile                        string
	clientCertFile, clientKeyFile string
}

// volplaceWithExtenderTLS starts (once) a second volplace, as the
// ServiceAccount, whose extender serves HTTPS and requires a client
// certificate from the CA (--extender-client-ca-file); no webhooks.
func volplaceWithExtenderTLS(t *testing.T) *volplaceServer {
	t.Helper()
	extenderTLS.once.Do(func() { extenderTLS.err = startVolplaceWithExtenderTLS() })
	if extenderTLS.err != nil {
		t.Fatal(extenderTLS.err)
	}
	return extenderTLS.volplace
}

func startVolplaceWithExtenderTLS() error {
	dir := filepath.Join(cl.dir, "extender-tls")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := certs.NewCA("volplace-deploy-test-ca", 24*time.Hour)
	if err != nil {
		return err
	}
	serving, err := ca.NewServing(nil, []net.IP{net.IPv4(127, 0, 0, 1)}, 24*time.Hour)
	if err != nil {
		return err
	}
	client, err := ca.NewClient("kube-scheduler", 24*time.Hour)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.crt": ca.CertPEM, "tls.crt": serving.CertPEM, "tls.key": serving.KeyPEM,
		"client.crt": client.CertPEM, "client.key": client.KeyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	extenderTLS.caFile = filepath.Join(dir, "ca.crt")
	extenderTLS.clientCertFile, extenderTLS.clientKeyFile = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	v, err := cl.startVolplace(ctx, "extender-tls", serviceAccountConfig(), []string{
		"--config=" + cl.path("manifests/base/config.yaml"),
		"--extender-bind-address=127.0.0.1:0",
		"--extender-tls-cert-file=" + filepath.Join(dir, "tls.crt"),
		"--extender-tls-key-file=" + filepath.Join(dir, "tls.key"),
		"--extender-client-ca-file=" + extenderTLS.caFile,
		"--health-bind-address=127.0.0.1:0",
		"--webhook-bind-address=",
	})
	if err != nil {
		return err
	}
	if err := v.WaitReady(ctx, startTimeout); err != nil {
		return err
	}
	extenderTLS.volplace = v
	return nil
}

// TestGeneratedSchedulerConfigsMatchShipped checks what docs/install.md
// promises: `volplace config scheduler` prints the configuration of
// manifests/scheduler/kube-scheduler-config.yaml, and with --secondary that
// of the secondary-scheduler overlay, up to comments and kube-scheduler's
// defaults.
func TestGeneratedSchedulerConfigsMatchShipped(t *testing.T) {
	const url = "http://volplace.volplace-system.svc:8888"
	for _, tc := range []struct {
		shipped   string
		secondary bool
	}{
		{"manifests/scheduler/kube-scheduler-config.yaml", false},
		{"manifests/overlays/secondary-scheduler/scheduler-config.yaml", true},
	} {
		t.Run(tc.shipped, func(t *testing.T) {
			o := app.NewSchedulerConfigOptions()
			o.URL, o.Secondary = url, tc.secondary
			want := withLeaderElectionDefaults(t, readFile(t, cl.path(tc.shipped)))
			got := withLeaderElectionDefaults(t, generateConfig(t, o))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("volplace config scheduler --url %s (secondary: %v) differs from %s (-shipped +generated):\n%s", url, tc.secondary, tc.shipped, diff)
			}
		})
	}
}

// withLeaderElectionDefaults parses a KubeSchedulerConfiguration and fills
// in kube-scheduler's leader-election defaults.
func withLeaderElectionDefaults(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	le, _ := doc["leaderElection"].(map[string]any)
	if le == nil {
		le = map[string]any{}
		doc["leaderElection"] = le
	}
	for k, v := range map[string]any{"leaderElect": true, "resourceLock": "leases", "resourceNamespace": "kube-system", "resourceName": "kube-scheduler"} {
		if _, ok := le[k]; !ok {
			le[k] = v
		}
	}
	return doc
}

// TestVolplaceSchedulerRejectsBadArgs runs volplace-scheduler with the
// shipped configuration whose Volplace args hold a weight out of range: it
// must stop at start and say which field is wrong.
func TestVolplaceSchedulerRejectsBadArgs(t *testing.T) {
	binary := os.Getenv(harness.EnvVolplaceScheduler)
	if binary == "" {
		if os.Getenv(harness.EnvRequired) == "1" {
			t.Fatalf("%s is not set: VOLPLACE_SCHEDULER=\"$(hack/volplace-scheduler.sh)\" (make test sets it)", harness.EnvVolplaceScheduler)
		}
		t.Skipf("%s is not set (hack/volplace-scheduler.sh prints it)", harness.EnvVolplaceScheduler)
	}
	shipped, err := harness.ShippedSchedulerConfig(cl.path("manifests/scheduler/volplace-scheduler-config.yaml"), cl.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(shipped), &raw); err != nil {
		t.Fatal(err)
	}
	profile := raw["profiles"].([]any)[0].(map[string]any)
	args := profile["pluginConfig"].([]any)[0].(map[string]any)["args"].(map[string]any)
	args["scoring"].(map[string]any)["weights"].(map[string]any)["capacity"] = 101
	bad, err := yaml.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := cl.launchScheduler(t, "bad-args", binary, bad, cl.kubeconfig)
	select {
	case <-sched.Exited():
	case <-time.After(startTimeout):
		t.Fatalf("volplace-scheduler still runs %v after start with a capacity weight of 101", startTimeout)
	}
	const want = "scoring.weights.capacity: Invalid value: 101: must be between 0 and 100"
	if lines := sched.Tail(5, want); lines == "" {
		t.Errorf("volplace-scheduler's log does not say %q; its end:\n%s", want, sched.Tail(20, ""))
	}
}
