package csidriver

import (
	"github.com/container-storage-interface/spec/lib/go/csi"
)

// pool is where a volume's space comes from: its node's pool for a
// node-local driver, its zone's for a zonal one (Options.Zonal).
type pool struct {
	// key names the pool: a node's or a zone's name.
	key        string
	node, zone string
	capacity   int64
}

// segment is the accessible topology of a node's volumes: its zone and, for
// a node-local driver, its name.
func (d *Driver) segment(node, zone string) *csi.Topology {
	if d.opts.Zonal {
		return &csi.Topology{Segments: map[string]string{TopologyKeyZone: zone}}
	}
	return &csi.Topology{Segments: map[string]string{TopologyKeyZone: zone, TopologyKeyNode: node}}
}

// poolKey names the pool a topology segment reaches, "" for none.
func (d *Driver) poolKey(segments map[string]string) string {
	if d.opts.Zonal {
		return segments[TopologyKeyZone]
	}
	return segments[TopologyKeyNode]
}

// volumePool names the pool holding a volume.
func (d *Driver) volumePool(v volumeRecord) string {
	if d.opts.Zonal {
		return v.Zone
	}
	return v.Node
}

// reachable tells whether a node can use a volume.
func (d *Driver) reachable(v volumeRecord, n nodeRecord) bool {
	if d.opts.Zonal {
		return v.Zone == n.Zone
	}
	return v.Node == n.Name
}

// pool returns a pool and the space its volumes take; ok is false when no
// node serves it. A zone's pool is as large as its nodes report (the
// largest, should they disagree). Call it holding the store's lock.
func (d *Driver) pool(key string) (p pool, used int64, ok bool, err error) {
	if key == "" {
		return p, 0, false, nil
	}
	if d.opts.Zonal {
		nodes, err := d.store.nodes()
		if err != nil {
			return p, 0, false, err
		}
		p = pool{key: key, zone: key}
		for _, n := range nodes {
			if n.Zone == key {
				ok = true
				p.capacity = max(p.capacity, n.Capacity)
			}
		}
	} else {
		n, found, err := d.store.node(key)
		if err != nil || !found {
			return p, 0, false, err
		}
		p, ok = pool{key: key, node: n.Name, zone: n.Zone, capacity: n.Capacity}, true
	}
	if !ok {
		return p, 0, false, nil
	}
	vols, err := d.store.volumes()
	if err != nil {
		return p, 0, false, err
	}
	for _, v := range vols {
		if d.volumePool(v) == key {
			used += v.Size
		}
	}
	return p, used, true, nil
}
