package csidriver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultVolumeSize is the size of a volume whose request names none.
const DefaultVolumeSize int64 = 1 << 30

// ControllerGetCapabilities implements csi.ControllerServer.
func (d *Driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	types := []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_GET_CAPACITY,
	}
	if d.opts.Attach {
		types = append(types, csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME)
	}
	caps := make([]*csi.ControllerServiceCapability, 0, len(types))
	for _, t := range types {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: t}}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// checkCapabilities rejects what a node-local directory cannot be: a raw
// block device, or a volume written from several nodes.
func checkCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return status.Error(codes.InvalidArgument, "volume capabilities missing")
	}
	for _, c := range caps {
		if c == nil || c.GetAccessMode() == nil {
			return status.Error(codes.InvalidArgument, "volume capability without access mode")
		}
		if c.GetMount() == nil {
			return status.Error(codes.InvalidArgument, "only the mount access type is supported")
		}
		if !supportedMode(c.GetAccessMode().GetMode()) {
			return status.Errorf(codes.InvalidArgument, "access mode %s is not supported", c.GetAccessMode().GetMode())
		}
	}
	return nil
}

// providable tells whether the driver can provide volumes with caps.
func providable(caps []*csi.VolumeCapability) bool { return checkCapabilities(caps) == nil }

// checkCapability is checkCapabilities for the one capability of a publish
// or stage request.
func checkCapability(c *csi.VolumeCapability) error {
	if c == nil {
		return status.Error(codes.InvalidArgument, "volume capability missing")
	}
	return checkCapabilities([]*csi.VolumeCapability{c})
}

func supportedMode(m csi.VolumeCapability_AccessMode_Mode) bool {
	switch m {
	case csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY:
		return true
	}
	return false
}

// volumeSize picks a size in the requested range.
func volumeSize(r *csi.CapacityRange) (int64, error) {
	req, limit := r.GetRequiredBytes(), r.GetLimitBytes()
	if req < 0 || limit < 0 {
		return 0, status.Error(codes.InvalidArgument, "negative capacity range")
	}
	if limit > 0 && req > limit {
		return 0, status.Errorf(codes.OutOfRange, "required %d bytes exceeds the limit of %d", req, limit)
	}
	switch {
	case req > 0:
		return req, nil
	case limit > 0 && limit < DefaultVolumeSize:
		return limit, nil
	default:
		return DefaultVolumeSize, nil
	}
}

// fits tells whether an existing volume of size satisfies a range.
func fits(size int64, r *csi.CapacityRange) bool {
	return size >= r.GetRequiredBytes() && (r.GetLimitBytes() == 0 || size <= r.GetLimitBytes())
}

// poolsFor lists the pools a CreateVolume request allows, preferred first;
// nil when it names no topology.
func (d *Driver) poolsFor(req *csi.TopologyRequirement) []string {
	var out []string
	for _, t := range append(slices.Clone(req.GetPreferred()), req.GetRequisite()...) {
		if k := d.poolKey(t.GetSegments()); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// CreateVolume implements csi.ControllerServer: it makes a directory in the
// first allowed pool with room. With no topology in the request, that is
// this instance's node's pool.
func (d *Driver) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume name missing")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	if req.GetVolumeContentSource() != nil {
		return nil, status.Error(codes.InvalidArgument, "volume content sources are not supported")
	}
	size, err := volumeSize(req.GetCapacityRange())
	if err != nil {
		return nil, err
	}
	candidates := d.poolsFor(req.GetAccessibilityRequirements())
	if candidates == nil {
		if d.opts.Node == "" {
			return nil, status.Error(codes.InvalidArgument, "no accessibility requirements, and this instance serves no node")
		}
		candidates = []string{d.poolKey(d.segment(d.opts.Node, d.opts.Zone).GetSegments())}
	}
	var vol volumeRecord
	err = d.store.locked(func() error {
		vols, err := d.store.volumes()
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		for _, v := range vols {
			if v.Name != req.GetName() {
				continue
			}
			if !fits(v.Size, req.GetCapacityRange()) {
				return status.Errorf(codes.AlreadyExists, "volume %q exists with %d bytes", v.Name, v.Size)
			}
			vol = v
			return nil
		}
		var full []string
		for _, key := range candidates {
			p, used, ok, err := d.pool(key)
			if err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			if !ok {
				continue
			}
			if used+size > p.capacity {
				full = append(full, fmt.Sprintf("%s (%d of %d bytes free)", key, p.capacity-used, p.capacity))
				continue
			}
			vol = volumeRecord{ID: key + "." + randomHex(), Name: req.GetName(), Node: p.node, Zone: p.zone, Size: size}
			if err := os.MkdirAll(d.store.dataDir(vol.ID), 0o750); err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			if err := d.store.putVolume(vol); err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			return nil
		}
		if len(full) > 0 {
			return status.Errorf(codes.ResourceExhausted, "no room for %d bytes on %v", size, full)
		}
		return status.Errorf(codes.ResourceExhausted, "none of the allowed pools %v exists", candidates)
	})
	if err != nil {
		return nil, err
	}
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:           vol.ID,
		CapacityBytes:      vol.Size,
		AccessibleTopology: []*csi.Topology{d.segment(vol.Node, vol.Zone)},
	}}, nil
}

// DeleteVolume implements csi.ControllerServer.
func (d *Driver) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	err := d.store.locked(func() error {
		v, ok, err := d.store.volume(req.GetVolumeId())
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		if !ok {
			return nil
		}
		if len(v.Published) > 0 {
			return status.Errorf(codes.FailedPrecondition, "volume %s is still published to %v", v.ID, v.Published)
		}
		if err := d.store.deleteVolume(v.ID); err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.DeleteVolumeResponse{}, nil
}

// ControllerPublishVolume implements csi.ControllerServer: a volume is
// attached only to the node whose pool holds it, to one node at a time, and
// to no more than the node's attach limit.
func (d *Driver) ControllerPublishVolume(_ context.Context, req *csi.ControllerPublishVolumeRequest) (*csi.ControllerPublishVolumeResponse, error) {
	if !d.opts.Attach {
		return nil, status.Error(codes.Unimplemented, "this driver does not attach volumes")
	}
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if req.GetNodeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "node ID missing")
	}
	if err := checkCapability(req.GetVolumeCapability()); err != nil {
		return nil, err
	}
	err := d.store.locked(func() error {
		v, err := d.existingVolume(req.GetVolumeId())
		if err != nil {
			return err
		}
		n, ok, err := d.store.node(req.GetNodeId())
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		if !ok {
			return status.Errorf(codes.NotFound, "node %s does not exist", req.GetNodeId())
		}
		if slices.Contains(v.Published, n.Name) {
			return nil
		}
		if !d.reachable(v, n) {
			return status.Errorf(codes.FailedPrecondition, "volume %s in pool %s is not reachable from node %s", v.ID, d.volumePool(v), n.Name)
		}
		if len(v.Published) > 0 {
			return status.Errorf(codes.FailedPrecondition, "volume %s is published to %v", v.ID, v.Published)
		}
		if n.MaxVolumes > 0 {
			count, err := d.store.publishedTo(n.Name)
			if err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			if count >= n.MaxVolumes {
				return status.Errorf(codes.ResourceExhausted, "node %s already has %d of %d volumes attached", n.Name, count, n.MaxVolumes)
			}
		}
		v.Published = append(v.Published, n.Name)
		sort.Strings(v.Published)
		if err := d.store.putVolume(v); err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.ControllerPublishVolumeResponse{PublishContext: map[string]string{"node": req.GetNodeId()}}, nil
}

// ControllerUnpublishVolume implements csi.ControllerServer. A volume or
// node that is gone is already unpublished.
func (d *Driver) ControllerUnpublishVolume(_ context.Context, req *csi.ControllerUnpublishVolumeRequest) (*csi.ControllerUnpublishVolumeResponse, error) {
	if !d.opts.Attach {
		return nil, status.Error(codes.Unimplemented, "this driver does not attach volumes")
	}
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	err := d.store.locked(func() error {
		v, ok, err := d.store.volume(req.GetVolumeId())
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		if !ok {
			return nil
		}
		kept := v.Published[:0]
		for _, n := range v.Published {
			if req.GetNodeId() != "" && n != req.GetNodeId() {
				kept = append(kept, n)
			}
		}
		v.Published = kept
		if err := d.store.putVolume(v); err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.ControllerUnpublishVolumeResponse{}, nil
}

// ValidateVolumeCapabilities implements csi.ControllerServer.
func (d *Driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if len(req.GetVolumeCapabilities()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "volume capabilities missing")
	}
	if _, err := d.existingVolume(req.GetVolumeId()); err != nil {
		return nil, err
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: status.Convert(err).Message()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext:      req.GetVolumeContext(),
		VolumeCapabilities: req.GetVolumeCapabilities(),
		Parameters:         req.GetParameters(),
	}}, nil
}

// GetCapacity implements csi.ControllerServer: the free space of the pool
// the topology reaches (this instance's node's without one); 0 where there
// is no pool.
func (d *Driver) GetCapacity(_ context.Context, req *csi.GetCapacityRequest) (*csi.GetCapacityResponse, error) {
	// CSI: no capacity for capabilities the plugin cannot provide.
	if caps := req.GetVolumeCapabilities(); len(caps) > 0 && !providable(caps) {
		return &csi.GetCapacityResponse{}, nil
	}
	segments := d.segment(d.opts.Node, d.opts.Zone).GetSegments()
	if t := req.GetAccessibleTopology(); t != nil {
		segments = t.GetSegments()
	}
	var free int64
	err := d.store.locked(func() error {
		p, used, ok, err := d.pool(d.poolKey(segments))
		if err != nil || !ok {
			return err
		}
		if z := segments[TopologyKeyZone]; z != "" && z != p.zone {
			return nil
		}
		free = max(p.capacity-used, 0)
		return nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &csi.GetCapacityResponse{AvailableCapacity: free}, nil
}

// existingVolume reads a volume, as a CSI error (NotFound, Internal) when
// it cannot.
func (d *Driver) existingVolume(id string) (volumeRecord, error) {
	v, ok, err := d.store.volume(id)
	if err != nil {
		return v, status.Error(codes.Internal, err.Error())
	}
	if !ok {
		return v, status.Errorf(codes.NotFound, "volume %s does not exist", id)
	}
	return v, nil
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
