package csidriver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

// Topology keys of the segments the driver reports: a node's zone and name.
const (
	TopologyKeyZone = "topology.volplace.test/zone"
	TopologyKeyNode = "topology.volplace.test/node"
)

// VendorVersion is what GetPluginInfo reports.
const VendorVersion = "v0.1.0"

// Options configure one instance of a driver.
type Options struct {
	// Name is the driver's name (a CSIDriver object's name).
	Name string
	// Root is the directory all instances of the driver share.
	Root string
	// Node is the node this instance serves; empty for a controller-only
	// instance (the one the attacher talks to).
	Node string
	// Zone is the node's zone.
	Zone string
	// Capacity is the size of the node's pool, in bytes.
	Capacity int64
	// MaxVolumes is the node's attach limit, 0 for none.
	MaxVolumes int64
	// Attach makes the driver need ControllerPublishVolume before a node
	// may stage a volume (the CSIDriver's attachRequired).
	Attach bool
	// Zonal makes the pools zones' instead of nodes': a volume is reachable
	// from every node of its zone (one at a time, as a network disk), and
	// the segments the driver reports hold the zone alone. Capacity is then
	// the zone's pool size, the same on every node of the zone. Every
	// instance of a driver must agree.
	Zonal bool
	// Mount makes NodePublishVolume bind-mount the volume on the target
	// path (needs root); without it the target path is a plain directory.
	Mount bool
}

// Driver is one running instance.
type Driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer

	opts  Options
	store *store

	server *grpc.Server
	done   chan struct{}

	mu        sync.Mutex
	staged    map[string]string // volume ID -> staging path
	published map[string]string // target path -> volume ID
}

// New prepares an instance and records its node in the shared root.
func New(opts Options) (*Driver, error) {
	if opts.Name == "" {
		return nil, errors.New("csidriver: no driver name")
	}
	if opts.Root == "" {
		return nil, errors.New("csidriver: no root directory")
	}
	if opts.Node != "" && opts.Capacity < 0 {
		return nil, fmt.Errorf("csidriver: negative capacity %d", opts.Capacity)
	}
	st, err := openStore(opts.Root)
	if err != nil {
		return nil, err
	}
	d := &Driver{opts: opts, store: st, staged: map[string]string{}, published: map[string]string{}}
	if opts.Node != "" {
		if err := st.putNode(nodeRecord{Name: opts.Node, Zone: opts.Zone, Capacity: opts.Capacity, MaxVolumes: opts.MaxVolumes}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Serve answers CSI calls on l until Stop.
func (d *Driver) Serve(l net.Listener) error {
	d.mu.Lock()
	if d.server != nil {
		d.mu.Unlock()
		return errors.New("csidriver: already serving")
	}
	d.server = grpc.NewServer()
	d.done = make(chan struct{})
	srv, done := d.server, d.done
	d.mu.Unlock()
	csi.RegisterIdentityServer(srv, d)
	csi.RegisterControllerServer(srv, d)
	if d.opts.Node != "" {
		csi.RegisterNodeServer(srv, d)
	}
	defer close(done)
	return srv.Serve(l)
}

// Listen serves on a new unix socket at path, in the background; the
// socket's parent directory is created.
func (d *Driver) Listen(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	go func() { _ = d.Serve(l) }()
	return nil
}

// Stop ends Serve, waiting for calls in flight.
func (d *Driver) Stop() {
	d.mu.Lock()
	srv, done := d.server, d.done
	d.mu.Unlock()
	if srv == nil {
		return
	}
	srv.GracefulStop()
	<-done
}
