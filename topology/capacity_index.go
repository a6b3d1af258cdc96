package topology

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// segment is a CSIStorageCapacity with its node selector compiled and the
// volumes placed on it that its reported capacity does not show yet.
type segment struct {
	// maxSize is maximumVolumeSize, the largest one volume may be (-1 when
	// unset); free is the reported capacity, what all new volumes together
	// may take (-1 when unset). They come first, with taken: what a
	// node's evaluation reads.
	maxSize, free int64
	// taken are the volumes placed on the segment since the driver last
	// reported its capacity.
	taken []takenVolume
	// shrunk is how much the capacity's last write took off the report
	// that no volume accounts for yet (assign).
	shrunk   int64
	capacity *storagev1.CSIStorageCapacity
	selector labels.Selector // nil: no node has access
}

// takenVolume is a volume placed on a segment that the segment's reported
// capacity may not show yet: a claim kube-scheduler assigned a node to and
// that is not provisioned yet, or a volume provisioned after the capacity
// was last written.
type takenVolume struct {
	claim string // namespace/name
	bytes int64
	// provisioned is when its PV was created; zero while it is still to be
	// provisioned.
	provisioned time.Time
}

// ProvisionedVolume is a claim's PV as the capacity accounting reads it:
// the PV, and the resource version it was created with, or the earliest
// one the store saw (a later version than its creation only makes the
// accounting more conservative).
type ProvisionedVolume struct {
	PV             *corev1.PersistentVolume
	CreatedVersion string
}

// limit is the largest volume the segment can hold, -1 when it reports
// neither capacity nor maximumVolumeSize.
func (s *segment) limit() int64 {
	switch {
	case s.maxSize >= 0 && s.free >= 0:
		return min(s.maxSize, s.free)
	case s.maxSize >= 0:
		return s.maxSize
	}
	return s.free
}

// name returns the CSIStorageCapacity's namespace/name.
func (s *segment) name() string { return s.capacity.Namespace + "/" + s.capacity.Name }

// takenBy sums the volumes that still count against the segment at now,
// leaving out the claims of the pod being placed (own), which it counts
// itself. A provisioned volume counts for refresh after its PV was created:
// by then the driver has republished the segment's capacity.
func (s *segment) takenBy(now time.Time, refresh time.Duration, own *PodState) (bytes int64, claims int) {
	for _, t := range s.taken {
		if !t.provisioned.IsZero() && !now.Before(t.provisioned.Add(refresh)) {
			continue
		}
		if own.ownsClaim(t.claim) {
			continue
		}
		bytes += t.bytes
		claims++
	}
	return bytes, claims
}

// CapacityIndex holds the CSIStorageCapacity objects of one StorageClass,
// compiled, with what other placements already took from them. It finds the
// segments a node reaches without testing every segment: drivers publish one
// CSIStorageCapacity per topology segment, selected by a single label (a
// zone, or a hostname for local storage), so segments with a one-label
// matchLabels selector are looked up by that label; other selectors are
// tested one by one.
type CapacityIndex struct {
	// byLabel holds, per label key, the segments by label value: a node
	// reads one map entry per key, which holds its segments themselves.
	byLabel []labelSegments
	other   []*segment
	// accounted are the claims ("namespace/name") whose selected node the
	// index took into account: a pod's in-memory hold on one of them ends
	// (Holds).
	accounted map[string]struct{}
}

// accounts reports whether the index took the claim's placement into
// account.
func (idx *CapacityIndex) accounts(claim string) bool {
	_, ok := idx.accounted[claim]
	return ok
}

type labelSegments struct {
	key     string
	byValue map[string][]segment
}

func quantityOr(q *resource.Quantity, def int64) int64 {
	if q == nil {
		return def
	}
	return q.Value()
}

// reportSkew is how long before a PV is created the report that shows its
// volume may be written: external-provisioner refreshes a segment as soon
// as CreateVolume returns, and creates the PV after that.
const reportSkew = time.Second

// reported tells whether the segment's report shows a volume of bytes: the
// driver reports the capacity left after the volumes that exist when it
// asks.
//   - A report written before the PV was created shows it. Times have
//     second precision; within a second, resource versions order the
//     writes (PVs and CSIStorageCapacities share one etcd, whose revisions
//     order all writes).
//   - A report written up to reportSkew before the PV shows it when the
//     report's last write took at least the volume's size off it (shrunk)
//     that the volumes created around that write, oldest first, have not
//     taken already.
//
// Otherwise the volume counts as not reported: the estimate stays
// conservative.
func (s *segment) reported(v ProvisionedVolume, bytes int64) bool {
	created, written := v.PV.CreationTimestamp.Time, lastWritten(&s.capacity.ObjectMeta)
	before := created.Before(written)
	if !before && created.Equal(written) {
		order, err := resourceversion.CompareResourceVersion(s.capacity.ResourceVersion, v.CreatedVersion)
		before = err == nil && order > 0
	}
	near := created.Sub(written).Abs() <= reportSkew
	switch {
	case before:
		if near { // the last write may be what shows it
			s.shrunk = max(s.shrunk-bytes, 0)
		}
		return true
	case near && bytes <= s.shrunk:
		s.shrunk -= bytes
		return true
	}
	return false
}

// lastWritten returns when an object was last written, from its managed
// fields (which CacheTransform keeps for CSIStorageCapacity objects as one
// entry with the latest time), else its creation.
func lastWritten(m *metav1.ObjectMeta) time.Time { return LastWritten(m) }

// LastWritten returns when an object was last written: the latest time of
// its managed fields, else its creation. Capacity accounting compares it
// with the creation of volumes; a store that trims managed fields keeps
// this time (store.CacheTransform).
func LastWritten(m *metav1.ObjectMeta) time.Time {
	t := m.CreationTimestamp.Time
	for _, f := range m.ManagedFields {
		if f.Time != nil && f.Time.After(t) {
			t = f.Time.Time
		}
	}
	return t
}

// NewCapacityIndex compiles the CSIStorageCapacity objects of one class and
// counts against them the class's claims that kube-scheduler assigned a
// node to (AnnSelectedNode; assigned may hold other claims, which do not
// count). node and pv look up the claims' nodes and volumes; shrunk tells
// by how many bytes a capacity's last write lowered its report, 0 when
// unknown.
func NewCapacityIndex(capacities []*storagev1.CSIStorageCapacity, assigned []*corev1.PersistentVolumeClaim,
	node func(string) (*NodeInfo, bool), pv func(string) (ProvisionedVolume, bool),
	shrunk func(*storagev1.CSIStorageCapacity) int64) *CapacityIndex {
	idx := newCapacityIndex(capacities, shrunk)
	idx.assign(assigned, func(name string) (*nodeView, bool) {
		info, ok := node(name)
		if !ok || info.Node == nil {
			return nil, false
		}
		return &info.view, true
	}, pv)
	return idx
}

func newCapacityIndex(capacities []*storagev1.CSIStorageCapacity, shrunk func(*storagev1.CSIStorageCapacity) int64) *CapacityIndex {
	idx := &CapacityIndex{}
	byLabel := map[string]map[string][]segment{}
	for _, c := range capacities {
		s := &segment{
			capacity: c,
			free:     quantityOr(c.Capacity, -1),
			maxSize:  quantityOr(c.MaximumVolumeSize, -1),
		}
		if shrunk != nil {
			s.shrunk = shrunk(c)
		}
		topo := c.NodeTopology
		switch {
		case topo == nil:
			continue // reaches no node
		case len(topo.MatchLabels) == 1 && len(topo.MatchExpressions) == 0:
			for k, v := range topo.MatchLabels {
				k, v = intern(k), intern(v)
				if byLabel[k] == nil {
					byLabel[k] = map[string][]segment{}
				}
				byLabel[k][v] = append(byLabel[k][v], *s)
			}
		default:
			sel, err := metav1.LabelSelectorAsSelector(topo)
			if err != nil {
				continue // an invalid selector reaches no node
			}
			s.selector = sel
			idx.other = append(idx.other, s)
		}
	}
	for k, byValue := range byLabel {
		idx.byLabel = append(idx.byLabel, labelSegments{key: k, byValue: byValue})
	}
	// In a fixed order: of segments with equal free capacity, the first wins.
	slices.SortFunc(idx.byLabel, func(a, b labelSegments) int { return strings.Compare(a.key, b.key) })
	return idx
}

// reachable appends to out the segments reachable from the node, in a
// fixed order. Given a buffer with room, it does not allocate.
func (idx *CapacityIndex) reachable(node *nodeView, out []*segment) []*segment {
	for _, l := range idx.byLabel {
		if v, ok := node.Lookup(l.key); ok {
			segments := l.byValue[v]
			for i := range segments {
				out = append(out, &segments[i])
			}
		}
	}
	for _, s := range idx.other {
		if s.selector.Matches(node) {
			out = append(out, s)
		}
	}
	return out
}

// assign records the claims kube-scheduler assigned a node to against the
// segment each would be provisioned in: the reachable segment with the most
// reported free capacity that can hold it, as a placement chooses it.
// Provisioned volumes count only until the segment's capacity is written
// after them (reported). node resolves a node name.
func (idx *CapacityIndex) assign(claims []*corev1.PersistentVolumeClaim, node func(string) (*nodeView, bool), pv func(string) (ProvisionedVolume, bool)) {
	// Each claim with its PV, looked up once; a claim whose PV the cache
	// does not hold yet counts as still to be provisioned.
	type assigned struct {
		pvc         *corev1.PersistentVolumeClaim
		key         string // namespace/name
		provisioned ProvisionedVolume
		created     time.Time // zero without a PV
		ok          bool      // the PV is in the cache
	}
	all := make([]assigned, 0, len(claims))
	for _, pvc := range claims {
		a := assigned{pvc: pvc, key: pvc.Namespace + "/" + pvc.Name}
		if a.provisioned, a.ok = pv(pvc.Spec.VolumeName); a.ok {
			a.created = a.provisioned.PV.CreationTimestamp.Time
		}
		all = append(all, a)
	}
	// Oldest volumes first: what a report's last write took off goes to
	// them (reported).
	slices.SortStableFunc(all, func(a, b assigned) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for _, a := range all {
		pvc, provisioned, ok := a.pvc, a.provisioned, a.ok
		view, found := node(pvc.Annotations[AnnSelectedNode])
		if !found {
			continue
		}
		t := takenVolume{claim: a.key}
		if idx.accounted == nil {
			idx.accounted = map[string]struct{}{}
		}
		idx.accounted[t.claim] = struct{}{}
		if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			t.bytes = q.Value()
		}
		if ok {
			if a.created.IsZero() {
				continue // written by hand: taken as long reported
			}
			t.provisioned = a.created
			if q, ok := provisioned.PV.Spec.Capacity[corev1.ResourceStorage]; ok {
				t.bytes = q.Value()
			}
		}
		// Where the claim fits, else where there is the most room: a
		// provisioner that fails for lack of space removes the annotation.
		var best, roomiest *segment
		for _, s := range idx.reachable(view, nil) {
			if l := s.limit(); l >= t.bytes && (best == nil || s.free > best.free) {
				best = s
			}
			if roomiest == nil || s.free > roomiest.free {
				roomiest = s
			}
		}
		if best == nil {
			best = roomiest
		}
		if best == nil || (ok && best.reported(provisioned, t.bytes)) {
			continue
		}
		best.taken = append(best.taken, t)
	}
}
