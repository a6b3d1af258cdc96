package config

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Rules switch the placement rules that go beyond kube-scheduler's.
type Rules struct {
	// RequireCSIDriver rejects nodes whose CSINode lacks a CSI driver the
	// pod's volumes need. Default true.
	RequireCSIDriver *bool `json:"requireCSIDriver,omitempty"`
	// ReadWriteOnceGuard pins a pod to the node where its single-node volume
	// is attached or in use. Default true.
	ReadWriteOnceGuard *bool `json:"readWriteOnceGuard,omitempty"`
	// InTreeVolumeLimits counts CSI attach limits as kube-scheduler's
	// NodeVolumeLimits plugin does, for a profile where that plugin runs
	// next to volplace (the extender's default, true); false counts each
	// attached volume once, as on the node, for a profile that disables it
	// (the scheduler plugin's default).
	InTreeVolumeLimits *bool `json:"inTreeVolumeLimits,omitempty"`
	// CapacityRefresh is how long a provisioned volume counts against its
	// CSIStorageCapacity after its PV was created, when the driver has not
	// rewritten the capacity since. Default 2m.
	CapacityRefresh *metav1.Duration `json:"capacityRefresh,omitempty"`
}

// Scoring tunes the score of the nodes a pod fits.
type Scoring struct {
	Weights       *Weights     `json:"weights,omitempty"`
	CapacityShape []ShapePoint `json:"capacityShape,omitempty"`
}

// Weights weigh the score components, 0..MaxWeight; 0 turns one off.
// Default 1 each.
type Weights struct {
	Locality       *int64 `json:"locality,omitempty"`
	Capacity       *int64 `json:"capacity,omitempty"`
	AttachHeadroom *int64 `json:"attachHeadroom,omitempty"`
}

// ShapePoint is one point of the capacity scoring function.
type ShapePoint struct {
	Utilization int64 `json:"utilization"`
	Score       int64 `json:"score"`
}
