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

// checkVolumeZone rejects the node when a bound PV's zone or region labels
// do not admit it, as kube-scheduler's VolumeZone does for PVs without node
// affinity. A node without any zone or region label passes.
func checkVolumeZone(b *boundClaim, n *nodeState) {
	if len(b.zones) == 0 || !hasTopologyLabels(n.node) {
		return
	}
	for _, z := range b.zones {
		v, ok := n.node.Lookup(z.key)
		if !ok {
			v, ok = n.node.Lookup(gaLabel(z.key))
		}
		if !ok || !z.values.Has(v) {
			n.fail(CodeVolumeZoneConflict, ErrReasonVolumeZoneConflict, b.pv.Name, true, func() string {
				return fmt.Sprintf("PersistentVolume %s: %s in %v, node has %q", b.pv.Name, z.key, sets.List(z.values), v)
			})
			return
		}
	}
}
