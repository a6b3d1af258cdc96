package topology

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// nodeView is a node as the rules read it: its name, its labels, the
// drivers of its CSINode and its CSI attach limits, each in one array.
//
// The rules read a handful of these per candidate node. Read from the Node
// and CSINode objects, they sit behind a chain of pointers (the Node, its
// labels map and the map's groups, the CSINode, its driver list, the node's
// allocatable resources), which a cold CPU cache fetches one after the
// other. The node table keeps a view per node, so that a candidate costs a
// few adjacent cache lines, and NodeInfo.touch can fetch many candidates'
// lines at once.
type nodeView struct {
	name   string
	labels []label
	// drivers are the CSINode's drivers; csiNode is false when the node has
	// no CSINode.
	drivers []viewDriver
	csiNode bool
	// allocatable are the node's attachable-volumes-csi-<driver> resources:
	// attach limits of drivers whose CSINode entry sets none.
	allocatable []attachLimit

	// The arrays behind labels, drivers and their topology keys, when they
	// are small enough: a view is then one block of memory, a few adjacent
	// cache lines in one page, where separate arrays would each cost a
	// cache miss and, in a heap of hundreds of megabytes, a TLB miss.
	// The labels come last: a node uses the first few of its array, next
	// to what it uses of the others.
	driverBuf [2]viewDriver
	keyBuf    [4]string
	labelBuf  [viewLabels]label
}

// viewLabels is how many labels a view holds in itself. Nodes of cloud
// providers carry 10 to 20; more go to an array of their own.
const viewLabels = 16

type label struct{ key, value string }

type viewDriver struct {
	name         string
	topologyKeys []string
	// limit is the CSINode's allocatable count, or -1 when it sets none
	// (the API rejects a negative count).
	limit int64
}

// attachableVolumesPrefix names the node resources that carry a CSI
// driver's attach limit.
const attachableVolumesPrefix = "attachable-volumes-csi-"

// reset makes v the view of node and csiNode (which may be nil), reusing
// v's arrays. v must not share arrays with another view: a new view starts
// from its zero value.
func (v *nodeView) reset(node *corev1.Node, csiNode *storagev1.CSINode) {
	v.name = node.Name
	if v.labels == nil {
		v.labels, v.drivers = v.labelBuf[:0], v.driverBuf[:0]
	}
	v.labels = v.labels[:0]
	for k, val := range node.Labels {
		v.labels = append(v.labels, label{key: k, value: val})
	}
	v.drivers = v.drivers[:0]
	v.csiNode = csiNode != nil
	if csiNode != nil {
		keys := v.keyBuf[:0]
		for i := range csiNode.Spec.Drivers {
			d := &csiNode.Spec.Drivers[i]
			vd := viewDriver{name: d.Name, topologyKeys: d.TopologyKeys, limit: -1}
			if n := len(d.TopologyKeys); n > 0 && len(keys)+n <= cap(keys) {
				start := len(keys)
				keys = append(keys, d.TopologyKeys...)
				vd.topologyKeys = keys[start:len(keys):len(keys)]
			}
			if d.Allocatable != nil && d.Allocatable.Count != nil {
				vd.limit = int64(*d.Allocatable.Count)
			}
			v.drivers = append(v.drivers, vd)
		}
	}
	v.allocatable = v.allocatable[:0]
	for name, q := range node.Status.Allocatable {
		if driver, ok := strings.CutPrefix(string(name), attachableVolumesPrefix); ok {
			v.allocatable = append(v.allocatable, attachLimit{driver: driver, limit: q.Value()})
		}
	}
}

// newNodeView returns the view of node and csiNode.
func newNodeView(node *corev1.Node, csiNode *storagev1.CSINode) *nodeView {
	v := &nodeView{}
	v.reset(node, csiNode)
	return v
}

// Lookup returns the value of a node label. With the few labels a node
// has, a scan of one array is faster than a map lookup, and reads memory
// that the previous lookup has already brought into the cache.
func (v *nodeView) Lookup(key string) (string, bool) {
	for i := range v.labels {
		if v.labels[i].key == key {
			return v.labels[i].value, true
		}
	}
	return "", false
}

// Has reports whether the node has a label; with Get and Lookup it makes
// the view a labels.Labels.
func (v *nodeView) Has(key string) bool {
	_, ok := v.Lookup(key)
	return ok
}

// Get returns the value of a node label, "" when it has none.
func (v *nodeView) Get(key string) string {
	val, _ := v.Lookup(key)
	return val
}

// driver returns the node's CSINode entry for a driver.
func (v *nodeView) driver(name string) (*viewDriver, bool) {
	for i := range v.drivers {
		if v.drivers[i].name == name {
			return &v.drivers[i], true
		}
	}
	return nil, false
}

// attachLimit returns a driver's attach limit on the node: the CSINode's
// allocatable count, else the node's attachable-volumes-csi-<driver>
// allocatable resource.
func (v *nodeView) attachLimit(driver string) (int64, bool) {
	if d, ok := v.driver(driver); ok && d.limit >= 0 {
		return d.limit, true
	}
	for _, a := range v.allocatable {
		if a.driver == driver {
			return a.limit, true
		}
	}
	return 0, false
}

// touch reads a word of every cache line of the view and returns a value
// that depends on them.
func (v *nodeView) touch() int {
	sum := len(v.name)
	// A label is 32 bytes: every other one starts a new cache line.
	for i := 0; i < len(v.labels); i += 2 {
		sum += len(v.labels[i].value)
	}
	for i := range v.drivers {
		sum += len(v.drivers[i].topologyKeys)
		if len(v.drivers[i].topologyKeys) > 0 {
			sum += len(v.drivers[i].topologyKeys[0])
		}
	}
	return sum
}
