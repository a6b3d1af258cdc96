package topology

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Zone and region labels VolumeZone compares between a bound PV and a node.
var topologyLabels = []string{
	corev1.LabelFailureDomainBetaZone,
	corev1.LabelFailureDomainBetaRegion,
	corev1.LabelTopologyZone,
	corev1.LabelTopologyRegion,
}

// gaLabel maps a beta zone or region key to its GA key.
func gaLabel(key string) string {
	switch key {
	case corev1.LabelFailureDomainBetaZone:
		return corev1.LabelTopologyZone
	case corev1.LabelFailureDomainBetaRegion:
		return corev1.LabelTopologyRegion
	}
	return key
}

// zoneLabel is a PV's zone or region label; its value may name several zones
// joined by "__".
type zoneLabel struct {
	key    string
	values sets.Set[string]
}

func volumeZones(pv *corev1.PersistentVolume) []zoneLabel {
	var zones []zoneLabel
	for _, key := range topologyLabels {
		if v, ok := pv.Labels[key]; ok {
			zones = append(zones, zoneLabel{key: key, values: sets.New(strings.Split(v, "__")...)})
		}
	}
	return zones
}

func hasTopologyLabels(node *nodeView) bool {
	for _, key := range topologyLabels {
		if node.Has(key) {
			return true
		}
	}
	return false
}

// checkBound applies the rules for claims bound to a PV: the PV exists, its
// node affinity and zone labels admit the node, and a ReadWriteOnce volume
// is not in use on another node.
func (e *Evaluator) checkBound(s *PodState, n *nodeState) {
	for _, b := range s.bound {
		if b.pv == nil {
			n.fail(CodePVNotExist, ErrReasonPVNotExist, b.pvc.Spec.VolumeName, true, nil)
			continue
		}
		// Like kube-scheduler, which stops at VolumeBinding's node affinity
		// failure before VolumeZone runs, report one placement failure per
		// PV.
		if b.affinity != nil {
			if !b.affinity.Match(n.node) {
				n.fail(CodeNodeConflict, ErrReasonNodeConflict, b.pv.Name, true, func() string {
					detail := fmt.Sprintf("PersistentVolume %s: node affinity does not match the node's labels and name", b.pv.Name)
					if b.affinity.err != nil {
						detail += fmt.Sprintf(" (invalid: %v)", b.affinity.err)
					}
					return detail
				})
			}
		} else if len(b.zones) > 0 && hasTopologyLabels(n.node) {
			for _, z := range b.zones {
				v, ok := n.node.Lookup(z.key)
				if !ok {
					v, ok = n.node.Lookup(gaLabel(z.key))
				}
				if !ok || !z.values.Has(v) {
					n.fail(CodeVolumeZoneConflict, ErrReasonVolumeZoneConflict, b.pv.Name, true, func() string {
						return fmt.Sprintf("PersistentVolume %s: %s in %v, node has %q", b.pv.Name, z.key, sets.List(z.values), v)
					})
					break
				}
			}
		}
		if e.opts.ReadWriteOnceGuard && b.exclusive && len(b.inUseOn) > 0 && !b.inUseOn[n.node.name] {
			n.fail(CodeReadWriteOnceConflict, ErrReasonReadWriteOnceConflict, b.name, true, func() string {
				return fmt.Sprintf("claim %s: ReadWriteOnce volume %s is in use on node(s) %s", b.name, b.pv.Name, strings.Join(sets.List(sets.KeySet(b.inUseOn)), ", "))
			})
		}
		if b.driver != "" {
			n.addDriver(b.driver)
		}
	}
}
