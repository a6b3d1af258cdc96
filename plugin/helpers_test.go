package plugin

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fwk "k8s.io/kube-scheduler/framework"

	"github.com/volplace/volplace/topology/store"
)

// The scheduling framework's CycleState and NodeInfo live in
// k8s.io/kubernetes, which volplace does not import: these doubles give
// what the plugin calls, and panic on anything else (the embedded nil
// interfaces).

// cycleStateDouble is a CycleState that stores data.
type cycleStateDouble struct {
	fwk.CycleState
	data map[fwk.StateKey]fwk.StateData
}

func newCycleState() *cycleStateDouble {
	return &cycleStateDouble{data: map[fwk.StateKey]fwk.StateData{}}
}

func (c *cycleStateDouble) Read(key fwk.StateKey) (fwk.StateData, error) {
	if d, ok := c.data[key]; ok {
		return d, nil
	}
	return nil, fwk.ErrNotFound
}

func (c *cycleStateDouble) Write(key fwk.StateKey, val fwk.StateData) { c.data[key] = val }

func (c *cycleStateDouble) Delete(key fwk.StateKey) { delete(c.data, key) }

// nodeInfoDouble is a NodeInfo that holds a node.
type nodeInfoDouble struct {
	fwk.NodeInfo
	node *corev1.Node
}

func (n nodeInfoDouble) Node() *corev1.Node { return n.node }

// nodeInfos returns the cluster's nodes as the framework gives them.
func nodeInfos(s *store.Store) []fwk.NodeInfo {
	var out []fwk.NodeInfo
	for _, n := range s.Nodes() {
		out = append(out, nodeInfoDouble{node: n})
	}
	return out
}

// staticPlugin returns the plugin over a static store of objs.
func staticPlugin(t *testing.T, objs ...runtime.Object) (*Volplace, *store.Store) {
	t.Helper()
	s, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	return NewForStore(s, DefaultOptions()), s
}
