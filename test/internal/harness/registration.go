package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// registerDriver writes what kubelet's nodeinfomanager writes when a CSI
// node plugin registers: first the Node (annotation, labels), then the
// CSINode.
func registerDriver(ctx context.Context, client kubernetes.Interface, node *corev1.Node, driver string, info *csi.NodeGetInfoResponse) error {
	segments := info.GetAccessibleTopology().GetSegments()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ids := map[string]string{}
		if raw := n.Annotations[AnnCSINodeID]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &ids); err != nil {
				return fmt.Errorf("node %s: annotation %s: %w", n.Name, AnnCSINodeID, err)
			}
		}
		ids[driver] = info.GetNodeId()
		raw, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[AnnCSINodeID] = string(raw)
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		for k, v := range segments {
			if old, ok := n.Labels[k]; ok && old != v {
				return fmt.Errorf("node %s: driver %s reports topology %s=%s, the node has %s", n.Name, driver, k, v, old)
			}
			n.Labels[k] = v
		}
		_, err = client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("registering %s on node %s: %w", driver, node.Name, err)
	}
	entry := storagev1.CSINodeDriver{
		Name:         driver,
		NodeID:       info.GetNodeId(),
		TopologyKeys: slices.Sorted(maps.Keys(segments)),
	}
	if m := info.GetMaxVolumesPerNode(); m > 0 {
		entry.Allocatable = &storagev1.VolumeNodeResources{Count: ptr.To(int32(m))}
	}
	// Drivers registering at once may both try to create the CSINode.
	retriable := func(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }
	err = retry.OnError(retry.DefaultRetry, retriable, func() error {
		cn, err := client.StorageV1().CSINodes().Get(ctx, node.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cn = &storagev1.CSINode{
				ObjectMeta: metav1.ObjectMeta{
					Name: node.Name,
					OwnerReferences: []metav1.OwnerReference{{
						APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID,
					}},
				},
				Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{entry}},
			}
			_, err = client.StorageV1().CSINodes().Create(ctx, cn, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		cn.Spec.Drivers = slices.DeleteFunc(cn.Spec.Drivers, func(d storagev1.CSINodeDriver) bool { return d.Name == driver })
		cn.Spec.Drivers = append(cn.Spec.Drivers, entry)
		_, err = client.StorageV1().CSINodes().Update(ctx, cn, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("CSINode %s: %w", node.Name, err)
	}
	return nil
}
