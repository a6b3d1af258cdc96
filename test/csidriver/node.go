package csidriver

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// NodeGetInfo implements csi.NodeServer: the node's name as its ID, its attach
// limit and its topology, which kubelet (or the external-provisioner in
// node deployment) turns into the CSINode and the Node's labels.
func (d *Driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{
		NodeId:             d.opts.Node,
		MaxVolumesPerNode:  d.opts.MaxVolumes,
		AccessibleTopology: d.segment(d.opts.Node, d.opts.Zone),
	}, nil
}

// NodeGetCapabilities implements csi.NodeServer.
func (d *Driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{Capabilities: []*csi.NodeServiceCapability{{
		Type: &csi.NodeServiceCapability_Rpc{Rpc: &csi.NodeServiceCapability_RPC{Type: csi.NodeServiceCapability_RPC_STAGE_UNSTAGE_VOLUME}},
	}}}, nil
}

// localVolume returns a volume that this node may use: it exists, this node
// reaches its pool and, if the driver attaches, it is published here.
func (d *Driver) localVolume(id string) (volumeRecord, error) {
	v, err := d.existingVolume(id)
	if err != nil {
		return v, err
	}
	if !d.reachable(v, nodeRecord{Name: d.opts.Node, Zone: d.opts.Zone}) {
		return v, status.Errorf(codes.FailedPrecondition, "volume %s in pool %s is not reachable from node %s", id, d.volumePool(v), d.opts.Node)
	}
	if d.opts.Attach && !slices.Contains(v.Published, d.opts.Node) {
		return v, status.Errorf(codes.FailedPrecondition, "volume %s is not attached to node %s", id, d.opts.Node)
	}
	return v, nil
}

// NodeStageVolume implements csi.NodeServer.
func (d *Driver) NodeStageVolume(_ context.Context, req *csi.NodeStageVolumeRequest) (*csi.NodeStageVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if req.GetStagingTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "staging target path missing")
	}
	if err := checkCapability(req.GetVolumeCapability()); err != nil {
		return nil, err
	}
	if _, err := d.localVolume(req.GetVolumeId()); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.staged[req.GetVolumeId()]; ok && p != req.GetStagingTargetPath() {
		return nil, status.Errorf(codes.FailedPrecondition, "volume %s is staged at %s", req.GetVolumeId(), p)
	}
	d.staged[req.GetVolumeId()] = req.GetStagingTargetPath()
	return &csi.NodeStageVolumeResponse{}, nil
}

// NodeUnstageVolume implements csi.NodeServer.
func (d *Driver) NodeUnstageVolume(_ context.Context, req *csi.NodeUnstageVolumeRequest) (*csi.NodeUnstageVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if req.GetStagingTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "staging target path missing")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.staged, req.GetVolumeId())
	return &csi.NodeUnstageVolumeResponse{}, nil
}

// NodePublishVolume implements csi.NodeServer: the target path becomes the
// volume's directory, bind-mounted when the instance mounts.
func (d *Driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if req.GetTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "target path missing")
	}
	if req.GetStagingTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "staging target path missing")
	}
	if err := checkCapability(req.GetVolumeCapability()); err != nil {
		return nil, err
	}
	v, err := d.localVolume(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.staged[v.ID] != req.GetStagingTargetPath() {
		return nil, status.Errorf(codes.FailedPrecondition, "volume %s is not staged at %s", v.ID, req.GetStagingTargetPath())
	}
	target := req.GetTargetPath()
	if id, ok := d.published[target]; ok {
		if id != v.ID {
			return nil, status.Errorf(codes.AlreadyExists, "%s already holds volume %s", target, id)
		}
		return &csi.NodePublishVolumeResponse{}, nil
	}
	if err := os.MkdirAll(target, 0o750); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if d.opts.Mount {
		flags := uintptr(unix.MS_BIND)
		if err := unix.Mount(d.store.dataDir(v.ID), target, "", flags, ""); err != nil {
			return nil, status.Errorf(codes.Internal, "bind-mounting %s: %v", v.ID, err)
		}
		if req.GetReadonly() {
			if err := unix.Mount("", target, "", flags|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				_ = unix.Unmount(target, 0)
				return nil, status.Errorf(codes.Internal, "remounting %s read-only: %v", target, err)
			}
		}
	}
	d.published[target] = v.ID
	return &csi.NodePublishVolumeResponse{}, nil
}

// NodeUnpublishVolume implements csi.NodeServer: it unmounts and removes the
// target path.
func (d *Driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	if req.GetTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "target path missing")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	target := req.GetTargetPath()
	if _, ok := d.published[target]; ok && d.opts.Mount {
		if err := unix.Unmount(target, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return nil, status.Errorf(codes.Internal, "unmounting %s: %v", target, err)
		}
	}
	delete(d.published, target)
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}
