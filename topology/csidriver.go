package topology

import "fmt"

// checkDrivers rejects the node when its CSINode does not register a CSI
// driver that one of the pod's volumes needs: such a pod would be placed and
// then fail to attach or mount. A node without a CSINode has no driver.
func (e *Evaluator) checkDrivers(_ *PodState, n *nodeState) {
	if !e.opts.RequireCSIDriver {
		return
	}
	for _, driver := range n.drivers {
		if _, ok := n.node.driver(driver); ok {
			continue
		}
		n.fail(CodeCSIDriverNotInstalled, e.driverNotInstalled(driver), "", true, func() string {
			if !n.node.csiNode {
				return fmt.Sprintf("node %s has no CSINode", n.node.name)
			}
			return fmt.Sprintf("CSINode %s does not list driver %s", n.node.name, driver)
		})
	}
}

// driverNotInstalled returns the reason for a missing driver, built once per
// driver name.
func (e *Evaluator) driverNotInstalled(driver string) string {
	if m, ok := e.messages.Load(driver); ok {
		return m.(string)
	}
	m, _ := e.messages.LoadOrStore(driver, csiDriverNotInstalled(driver))
	return m.(string)
}

// missingTopologyKey returns a topology key the driver declares in the
// node's CSINode that the node has no label for, or "".
func missingTopologyKey(n *nodeState, driver string) string {
	entry, ok := n.node.driver(driver)
	if !ok {
		return ""
	}
	for _, key := range entry.topologyKeys {
		if !n.node.Has(key) {
			return key
		}
	}
	return ""
}
