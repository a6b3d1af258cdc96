package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/internal/harness"
	"github.com/volplace/volplace/topology"
)

// Burst sizes: two nodes with room for burstPerNode volumes each, and
// burstReplicas pods with one claim each, created at once.
const (
	burstReplicas = 8
	burstPerNode  = 2
	// burstSettle is how long the selected nodes must stay unchanged
	// before the burst counts as over.
	burstSettle = 5 * time.Second
)

// A StatefulSet scaled from 0 to 8 in one step sends 8 pods through
// kube-scheduler within milliseconds, long before any provisioner could
// republish capacity. On two nodes with room for two volumes each, at most
// two claims may be assigned to each node (volume.kubernetes.io/selected-node,
// which kube-scheduler's VolumeBinding writes in PreBind); no provisioner
// runs, so the claims keep their selected node. kube-scheduler's in-tree
// capacity check, which sees the same free space for every claim, lets all
// eight through; volplace counts the claims already assigned and what pods
// being scheduled hold.
func TestBurstCapacity(t *testing.T) {
	t.Parallel()
	t.Run("one replica", func(t *testing.T) {
		t.Parallel()
		s := NewScenario(t, "burst-one", ProfileDefault)
		runBurst(s)
	})
	t.Run("two replicas behind one address", func(t *testing.T) {
		t.Parallel()
		s := NewScenario(t, "burst-two", "burst-two")
		args := []string{"--extender-bind-address=127.0.0.1:0", "--webhook-bind-address="}
		first, second := s.StartVolplace(args...), s.StartVolplace(args...)
		// As the shipped Service does (sessionAffinity: ClientIP),
		// kube-scheduler's requests stay with one replica until it fails.
		proxy := newFailoverProxy(t, first.ExtenderAddr(), second.ExtenderAddr())
		s.startScheduler(s.Profile, strings.TrimPrefix(proxy.URL, "http://"))
		nodes := runBurst(s, first, second)

		// The replica that placed the burst stops; the other, which
		// never saw its holds, must read every placement from the API.
		// A third node with room for two more brings the waiting pods
		// back (kube-scheduler requeues them on the new objects).
		if err := first.Stop(); err != nil {
			t.Fatal(err)
		}
		third := s.CreateNode("n3", "zone-c")
		s.CreateCSINode(third.Name, s.DriverOn(third.Name, 0))
		s.CreateCapacity(s.Name+"-local", "zone-c", fmt.Sprintf("%dGi", burstPerNode))
		s.waitAssigned(burstPerNode * (len(nodes) + 1))
		if got := proxy.filters(); got[1] == 0 {
			t.Errorf("the second replica received no filter request: %v", got)
		}
	})
}

// runBurst creates two nodes, capacities and burstReplicas pods and checks
// that no node is assigned more claims than it has room for, and that every
// room is used. It returns the nodes.
func runBurst(s *Scenario, replicas ...*harness.Volplace) []*corev1.Node {
	t := s.T
	nodes := s.CreateNodes("zone-a", "zone-b")
	s.CreateCSIDriver(func(d *storagev1.CSIDriver) { d.Spec.StorageCapacity = ptr.To(true) })
	class := s.CreateStorageClass("local").Name
	for _, zone := range []string{"zone-a", "zone-b"} {
		s.CreateCapacity(class, zone, fmt.Sprintf("%dGi", burstPerNode))
	}
	pods := make([]*corev1.Pod, burstReplicas)
	for i := range pods {
		claim := fmt.Sprintf("data-db-%d", i)
		s.CreateClaim(claim, class, "1Gi")
		pods[i] = s.podFor(fmt.Sprintf("db-%d", i), claim)
	}
	s.SyncVolplace()
	for _, v := range replicas {
		s.waitReplicaSynced(v, pods[0], len(nodes))
	}

	// The burst: every pod at once, as the StatefulSet controller with
	// podManagementPolicy Parallel creates them.
	var wg sync.WaitGroup
	errs := make(chan error, len(pods))
	for _, pod := range pods {
		wg.Go(func() {
			if _, err := s.F.Client.CoreV1().Pods(s.Namespace).Create(s.ctx(), pod, metav1.CreateOptions{}); err != nil {
				errs <- fmt.Errorf("creating pod %s: %w", pod.Name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	s.waitAssigned(burstPerNode * len(nodes))
	// The others wait, told why.
	for _, pod := range pods {
		if msg, _ := s.failedScheduling(pod, topology.ErrReasonNotEnoughSpace); msg != "" {
			return nodes
		}
	}
	t.Errorf("no pod has a FailedScheduling event saying %q", topology.ErrReasonNotEnoughSpace)
	return nodes
}

// waitAssigned waits until want claims have a selected node and none
// changed for burstSettle, and checks that no node has more than
// burstPerNode.
func (s *Scenario) waitAssigned(want int) {
	s.T.Helper()
	var assigned map[string][]string
	last, stableSince := "", time.Now()
	err := harness.Poll(s.ctx(), 2*scheduleTimeout, func() (bool, error) {
		var err error
		if assigned, err = s.selectedNodes(); err != nil {
			return false, err
		}
		if now := fmt.Sprint(assigned); now != last {
			last, stableSince = now, time.Now()
		}
		return count(assigned) >= want && time.Since(stableSince) > burstSettle, nil
	})
	for node, claims := range assigned {
		if len(claims) > burstPerNode {
			s.T.Errorf("node %s was assigned %d claims, room for %d: %v", s.Short(node), len(claims), burstPerNode, claims)
		}
	}
	if err != nil || count(assigned) != want {
		s.T.Fatalf("%d claims have a selected node, want %d: %v (%v)\n%s", count(assigned), want, assigned, err, s.F.SchedulerLogAbout(s.Namespace, 30))
	}
}

// selectedNodes returns the scenario's claims by their selected node.
func (s *Scenario) selectedNodes() (map[string][]string, error) {
	claims, err := s.F.Client.CoreV1().PersistentVolumeClaims(s.Namespace).List(s.ctx(), metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, c := range claims.Items {
		if node := c.Annotations[topology.AnnSelectedNode]; node != "" {
			out[node] = append(out[node], c.Name)
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out, nil
}

func count(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// waitReplicaSynced waits until a replica started by the scenario lets the
// pod through on every node: its cache holds the scenario's objects.
func (s *Scenario) waitReplicaSynced(v *harness.Volplace, pod *corev1.Pod, nodes int) {
	s.T.Helper()
	names := make([]string, 0, nodes)
	for i := range nodes {
		names = append(names, s.NodeName(fmt.Sprintf("n%d", i+1)))
	}
	err := harness.Poll(s.ctx(), syncTimeout, func() (bool, error) {
		body, err := json.Marshal(extenderv1.ExtenderArgs{Pod: pod, NodeNames: &names})
		if err != nil {
			return false, err
		}
		var out extenderv1.ExtenderFilterResult
		err = harness.PostJSON(s.ctx(), http.DefaultClient, "http://"+v.ExtenderAddr()+"/filter", body, &out)
		return err == nil && out.NodeNames != nil && len(*out.NodeNames) == nodes, nil
	})
	if err != nil {
		s.T.Fatalf("volplace replica %s did not sync the scenario's objects: %v", v.ExtenderAddr(), err)
	}
}

// startScheduler runs a kube-scheduler of its own for the scenario, with
// one profile and volplace's extender at addr, stopped at the end.
func (s *Scenario) startScheduler(profile, addr string) {
	s.T.Helper()
	config := fmt.Sprintf(schedulerConfigHeader+"profiles:\n- schedulerName: %[3]s\n"+extenderConfig, s.F.Kubeconfig, addr, profile)
	p, err := harness.StartKubeScheduler(s.ctx(), s.F.assets, s.F.dir, "kube-scheduler-"+s.Name, s.F.Kubeconfig, config)
	if err != nil {
		s.T.Fatalf("starting kube-scheduler: %v", err)
	}
	s.T.Cleanup(func() {
		if err := p.Stop(); err != nil {
			s.T.Errorf("kube-scheduler %s: %v", s.Name, err)
		}
		if s.T.Failed() {
			s.T.Logf("kube-scheduler %s log: %s", s.Name, filepath.Join(s.F.dir, "kube-scheduler-"+s.Name+".log"))
		}
	})
}

// failoverProxy forwards extender requests to the first of several
// volplace replicas that answers, and stays with it until it fails, as
// kube-proxy does for a Service with sessionAffinity: ClientIP and one
// client.
type failoverProxy struct {
	*httptest.Server
	current atomic.Int64
	counts  []atomic.Int64
}

func newFailoverProxy(t *testing.T, addrs ...string) *failoverProxy {
	p := &failoverProxy{counts: make([]atomic.Int64, len(addrs))}
	client := &http.Client{Timeout: 10 * time.Second}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for tries := 0; tries < len(addrs); tries++ {
			i := int(p.current.Load())
			req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addrs[i]+r.URL.Path, bytes.NewReader(body))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			req.Header = r.Header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				p.current.CompareAndSwap(int64(i), int64((i+1)%len(addrs)))
				continue
			}
			if r.URL.Path == "/filter" {
				p.counts[i].Add(1)
			}
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			_ = resp.Body.Close()
			return
		}
		http.Error(w, "no volplace replica answers", http.StatusBadGateway)
	}))
	t.Cleanup(p.Close)
	return p
}

// filters returns how many filter requests each replica answered.
func (p *failoverProxy) filters() []int64 {
	out := make([]int64, len(p.counts))
	for i := range p.counts {
		out[i] = p.counts[i].Load()
	}
	return out
}
