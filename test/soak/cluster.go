package soak

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// The cluster: three zones of four nodes, a zonal attachable CSI driver
// (attach limit 3 per node) and a local driver that reports capacity per
// node. Every node runs a pod with a bound zonal volume; node-a1 has its
// three attach slots used. Three claims wait for a pod: one bound in
// zone-b, one zonal and one local to provision.
const (
	Namespace   = "soak"
	ZonalDriver = "pd.csi.soak.example.com"
	LocalDriver = "lvm.csi.soak.example.com"
	// ZonalClass provisions only in zone-a and zone-b.
	ZonalClass = "zonal"
	// LocalClass has 50Gi per node in zone-a, 200Gi elsewhere.
	LocalClass = "local"
	// EBSClass has a provisioner whose access modes volplace knows.
	EBSClass = "ebs"

	attachLimit = 3

	BoundClaim = "pending-bound-b"
	ZonalClaim = "pending-zonal"
	LocalClaim = "pending-local"
)

// Zones returns the cluster's zones.
func Zones() []string { return []string{"zone-a", "zone-b", "zone-c"} }

// Nodes returns the cluster's node names, zone by zone: node-a1 ...
// node-c4.
func Nodes() []string { return NodesIn(Zones()...) }

func nodeName(zone string, i int) string { return fmt.Sprintf("node-%s%d", zone[len(zone)-1:], i) }

// NodesIn returns the nodes of some zones.
func NodesIn(zones ...string) []string {
	var names []string
	for _, z := range zones {
		for i := 1; i <= 4; i++ {
			names = append(names, nodeName(z, i))
		}
	}
	return names
}

// AppPod names the pod that runs on a node with DataClaim(node, i).
func AppPod(node string, i int) string { return fmt.Sprintf("app-%s-%d", node, i) }

// DataClaim names the i-th bound claim used on a node.
func DataClaim(node string, i int) string { return fmt.Sprintf("data-%s-%d", node, i) }

// clusterObjects returns the cluster's objects, in creation order.
func clusterObjects() []runtime.Object {
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace,
			Annotations: map[string]string{webhook.AnnNamespaceDefaultClass: ZonalClass}}},
		st.MakeCSIDriver(ZonalDriver).Obj(),
		st.MakeCSIDriver(LocalDriver).StorageCapacity(true).AttachRequired(false).Obj(),
		st.MakeStorageClass(ZonalClass, ZonalDriver).AllowedTopology(corev1.LabelTopologyZone, "zone-a", "zone-b").Obj(),
		st.MakeStorageClass(LocalClass, LocalDriver).Obj(),
		st.MakeStorageClass(EBSClass, "ebs.csi.aws.com").Obj(),
	}
	for _, zone := range Zones() {
		for i := 1; i <= 4; i++ {
			node := nodeName(zone, i)
			capacity := "200Gi"
			if zone == "zone-a" {
				capacity = "50Gi"
			}
			objs = append(objs,
				st.MakeNode(node).Zone(zone).Label(corev1.LabelTopologyRegion, "region-1").Obj(),
				st.MakeCSINode(node).LimitedDriver(ZonalDriver, attachLimit, corev1.LabelTopologyZone).Driver(LocalDriver, corev1.LabelHostname).Obj(),
				st.MakeCapacity("local-"+node, LocalClass).Topology(corev1.LabelHostname, node).Capacity(capacity).Obj(),
			)
			volumes := 1
			if node == "node-a1" {
				volumes = attachLimit
			}
			for v := 1; v <= volumes; v++ {
				objs = append(objs, boundClaim(DataClaim(node, v), zone)...)
				objs = append(objs,
					st.MakeAttachment("va-"+DataClaim(node, v), ZonalDriver, "pv-"+DataClaim(node, v), node),
					st.MakePod(AppPod(node, v)).Namespace(Namespace).PVC(DataClaim(node, v)).Node(node).Obj(),
				)
			}
		}
	}
	objs = append(objs, boundClaim(BoundClaim, "zone-b")...)
	return append(objs,
		st.MakePVC(ZonalClaim).Namespace(Namespace).Class(ZonalClass).Request("10Gi").Obj(),
		st.MakePVC(LocalClaim).Namespace(Namespace).Class(LocalClass).Request("100Gi").Obj(),
	)
}

// boundClaim returns a claim bound to a zonal PV of a zone.
func boundClaim(name, zone string) []runtime.Object {
	return []runtime.Object{
		st.MakePV("pv-"+name).Class(ZonalClass).BoundTo(Namespace, name).CSI(ZonalDriver, "h-"+name).
			NodeAffinityIn(corev1.LabelTopologyZone, zone).Obj(),
		st.MakePVC(name).Namespace(Namespace).Class(ZonalClass).BoundTo("pv-" + name).Obj(),
	}
}

// CreateCluster creates the cluster's objects with their status.
func CreateCluster(ctx context.Context, client kubernetes.Interface) error {
	for _, obj := range clusterObjects() {
		if err := create(ctx, client, obj); err != nil {
			return err
		}
	}
	return nil
}

// create creates an object, then writes its status where the builders set
// one (kube-apiserver ignores status on create).
func create(ctx context.Context, client kubernetes.Interface, obj runtime.Object) error {
	core, storage := client.CoreV1(), client.StorageV1()
	opts, update := metav1.CreateOptions{}, metav1.UpdateOptions{}
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = core.Namespaces().Create(ctx, o, opts)
	case *storagev1.CSIDriver:
		_, err = storage.CSIDrivers().Create(ctx, o, opts)
	case *storagev1.StorageClass:
		_, err = storage.StorageClasses().Create(ctx, o, opts)
	case *corev1.Node:
		_, err = core.Nodes().Create(ctx, o, opts)
	case *storagev1.CSINode:
		_, err = storage.CSINodes().Create(ctx, o, opts)
	case *storagev1.CSIStorageCapacity:
		_, err = storage.CSIStorageCapacities(o.Namespace).Create(ctx, o, opts)
	case *corev1.PersistentVolume:
		var got *corev1.PersistentVolume
		if got, err = core.PersistentVolumes().Create(ctx, o, opts); err == nil {
			got.Status = o.Status
			_, err = core.PersistentVolumes().UpdateStatus(ctx, got, update)
		}
	case *corev1.PersistentVolumeClaim:
		var got *corev1.PersistentVolumeClaim
		if got, err = core.PersistentVolumeClaims(o.Namespace).Create(ctx, o, opts); err == nil && o.Status.Phase == corev1.ClaimBound {
			got.Status = o.Status
			got.Status.AccessModes = o.Spec.AccessModes
			got.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}
			_, err = core.PersistentVolumeClaims(o.Namespace).UpdateStatus(ctx, got, update)
		}
	case *storagev1.VolumeAttachment:
		var got *storagev1.VolumeAttachment
		if got, err = storage.VolumeAttachments().Create(ctx, o, opts); err == nil {
			got.Status = o.Status
			_, err = storage.VolumeAttachments().UpdateStatus(ctx, got, update)
		}
	case *corev1.Pod:
		o.Spec.Containers = []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}}
		var got *corev1.Pod
		if got, err = core.Pods(o.Namespace).Create(ctx, o, opts); err == nil {
			got.Status = o.Status
			_, err = core.Pods(o.Namespace).UpdateStatus(ctx, got, update)
		}
	default:
		return fmt.Errorf("no creation for %T", obj)
	}
	if err != nil {
		name := ""
		if m, mErr := meta.Accessor(obj); mErr == nil {
			name = m.GetName()
		}
		return fmt.Errorf("creating %T %s: %w", obj, name, err)
	}
	return nil
}
