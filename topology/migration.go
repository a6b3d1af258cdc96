package topology

import (
	corev1 "k8s.io/api/core/v1"
	csitrans "k8s.io/csi-translation-lib"
	"k8s.io/csi-translation-lib/plugins"
	"k8s.io/klog/v2"
)

// CSI migration: volumes of in-tree plugins that kube-scheduler's
// NodeVolumeLimits counts under the CSI driver they migrated to, as
// kubelet and the attach/detach controller attach them through it.

var translator = csitrans.New()

// countedMigrations are the in-tree plugins whose volumes NodeVolumeLimits
// counts as their CSI driver's (v1.36: those whose migration is GA and
// always on).
var countedMigrations = map[string]bool{
	plugins.AWSEBSInTreePluginName:    true,
	plugins.GCEPDInTreePluginName:     true,
	plugins.AzureDiskInTreePluginName: true,
	plugins.CinderInTreePluginName:    true,
	plugins.PortworxVolumePluginName:  true,
}

// pvCSISource returns a PV's CSI source, translated for a PV of a migrated
// in-tree plugin, or nil.
func pvCSISource(pv *corev1.PersistentVolume) *corev1.CSIPersistentVolumeSource {
	if pv.Spec.CSI != nil {
		return pv.Spec.CSI
	}
	if !translator.IsPVMigratable(pv) {
		return nil
	}
	name, err := translator.GetInTreePluginNameFromSpec(pv, nil)
	if err != nil || !countedMigrations[name] {
		return nil
	}
	csiPV, err := translator.TranslateInTreePVToCSI(klog.Background(), pv)
	if err != nil || csiPV == nil {
		return nil
	}
	return csiPV.Spec.CSI
}

// inlineVolumeKey returns the attach key of a pod's inline volume of a
// migrated in-tree plugin (an awsElasticBlockStore, gcePersistentDisk,
// azureDisk, cinder or portworxVolume volume).
func inlineVolumeKey(vol *corev1.Volume, namespace string) (VolumeKey, bool) {
	if !translator.IsInlineMigratable(vol) {
		return VolumeKey{}, false
	}
	name, err := translator.GetInTreePluginNameFromSpec(nil, vol)
	if err != nil || !countedMigrations[name] {
		return VolumeKey{}, false
	}
	pv, err := translator.TranslateInTreeInlineVolumeToCSI(klog.Background(), vol, namespace)
	if err != nil || pv == nil || pv.Spec.CSI == nil {
		return VolumeKey{}, false
	}
	return csiVolumeKey(pv.Spec.CSI), true
}

// provisionerDriver returns the CSI driver that provisions for a class's
// provisioner: the provisioner itself, or the driver a migrated in-tree
// provisioner (kubernetes.io/aws-ebs) moved to.
func provisionerDriver(provisioner string) string {
	if !countedMigrations[provisioner] {
		return provisioner
	}
	if driver, err := translator.GetCSINameFromInTreeName(provisioner); err == nil {
		return driver
	}
	return provisioner
}
