package topology

import "time"

// ShapePoint is one point of the capacity scoring function: at Utilization
// percent (0..100) of a storage segment the node scores Score (0..10).
// Between points the score is interpolated linearly, as in kube-scheduler's
// VolumeBinding shape.
type ShapePoint struct {
	Utilization int64
	Score       int64
}

// Weights weigh the score components against each other. A zero weight turns
// a component off.
type Weights struct {
	// Locality favours nodes where the pod's bound volumes are already
	// attached or in use.
	Locality int64
	// Capacity scores the free capacity of the node's storage segment for
	// volumes still to be provisioned, shaped by Options.CapacityShape.
	Capacity int64
	// AttachHeadroom favours nodes with free CSI attach slots left after the
	// pod's volumes are attached.
	AttachHeadroom int64
}

// Options switch rules on and off and tune scoring.
type Options struct {
	// RequireCSIDriver rejects nodes whose CSINode does not register the CSI
	// driver of one of the pod's volumes. kube-scheduler does this only behind
	// an alpha gate and a per-driver opt-in; without it such pods land on the
	// node and fail to attach.
	RequireCSIDriver bool
	// ReadWriteOnceGuard pins a pod whose bound ReadWriteOnce volume is
	// attached to, or used by a running pod on, another node to that node.
	ReadWriteOnceGuard bool
	// InTreeVolumeLimits counts attach limits as kube-scheduler's
	// NodeVolumeLimits plugin does, for a scheduler profile that runs it
	// next to volplace (kube-scheduler's default): a new volume already
	// attached to the node by a VolumeAttachment that no pod on the node
	// uses counts both as attached and as new, so the node is rejected as
	// kube-scheduler will reject it. Off, each volume counts once, as it
	// does on the node, for a profile where volplace is the only volume
	// filter.
	InTreeVolumeLimits bool
	// Weights weigh the score components.
	Weights Weights
	// CapacityShape maps utilization of a storage segment to a score. The
	// points must be sorted by strictly increasing utilization.
	CapacityShape []ShapePoint
	// CapacityRefresh is how long after a volume's PV was created it still
	// counts against its CSIStorageCapacity segment when the driver has not
	// rewritten the segment since: by then the driver has reported capacity
	// that includes it. external-provisioner polls capacity every minute by
	// default and writes only what changed.
	CapacityRefresh time.Duration
}

// DefaultCapacityRefresh is twice external-provisioner's default capacity
// poll interval.
const DefaultCapacityRefresh = 2 * time.Minute

// DefaultOptions returns every rule on, equal weights and a capacity shape
// that prefers the most free capacity, like kube-scheduler's
// StorageCapacityScoring default.
func DefaultOptions() Options {
	return Options{
		RequireCSIDriver:   true,
		ReadWriteOnceGuard: true,
		InTreeVolumeLimits: true,
		Weights:            Weights{Locality: 1, Capacity: 1, AttachHeadroom: 1},
		CapacityShape:      []ShapePoint{{Utilization: 0, Score: MaxScore}, {Utilization: 100, Score: 0}},
		CapacityRefresh:    DefaultCapacityRefresh,
	}
}
