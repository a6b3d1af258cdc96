package webhook

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

const (
	rwo  = corev1.ReadWriteOnce
	rox  = corev1.ReadOnlyMany
	rwx  = corev1.ReadWriteMany
	rwop = corev1.ReadWriteOncePod
)

// allAccessModes are the access modes Kubernetes defines.
var allAccessModes = []corev1.PersistentVolumeAccessMode{rwo, rox, rwx, rwop}

func modes(m ...corev1.PersistentVolumeAccessMode) []corev1.PersistentVolumeAccessMode { return m }

// builtinCapabilities are the access modes well-known provisioners support,
// from each driver's documentation and the CSI access modes its controller
// accepts (docs/webhook.md lists the sources). ReadWriteOncePod works with
// every CSI driver that accepts single-node writers. Some modes need a class
// parameter or disk type (EBS io2 Multi-Attach for Block RWX, Azure shared
// disks, Longhorn migratable volumes, ...): the table allows them, the
// provisioner refuses what the class cannot do. In-tree names are served by
// their CSI driver since CSI migration.
var builtinCapabilities = map[string]Capabilities{
	"ebs.csi.aws.com":              {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop, rwx)},
	"kubernetes.io/aws-ebs":        {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"efs.csi.aws.com":              {Filesystem: modes(rwo, rwx, rwop)},
	"pd.csi.storage.gke.io":        {Filesystem: modes(rwo, rox, rwop), Block: modes(rwo, rox, rwx, rwop)},
	"kubernetes.io/gce-pd":         {Filesystem: modes(rwo, rox, rwop), Block: modes(rwo, rox, rwop)},
	"filestore.csi.storage.gke.io": {Filesystem: modes(rwo, rox, rwx, rwop)},
	"disk.csi.azure.com":           {Filesystem: modes(rwo, rwop), Block: modes(rwo, rox, rwx, rwop)},
	"kubernetes.io/azure-disk":     {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"file.csi.azure.com":           {Filesystem: modes(rwo, rox, rwx, rwop)},
	"kubernetes.io/azure-file":     {Filesystem: modes(rwo, rox, rwx, rwop)},
	"rbd.csi.ceph.com":             {Filesystem: modes(rwo, rox, rwop), Block: modes(rwo, rox, rwx, rwop)},
	"cephfs.csi.ceph.com":          {Filesystem: modes(rwo, rox, rwx, rwop)},
	"nfs.csi.k8s.io":               {Filesystem: modes(rwo, rox, rwx, rwop)},
	"smb.csi.k8s.io":               {Filesystem: modes(rwo, rox, rwx, rwop)},
	"csi.vsphere.vmware.com":       {Filesystem: modes(rwo, rox, rwx, rwop), Block: modes(rwo, rwop)},
	"cinder.csi.openstack.org":     {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwx, rwop)},
	"hostpath.csi.k8s.io":          {Filesystem: modes(rwo, rox, rwx, rwop), Block: modes(rwo, rox, rwx, rwop)},
	"rancher.io/local-path":        {Filesystem: modes(rwo, rwop)},
	"k8s.io/minikube-hostpath":     {Filesystem: modes(rwo, rox, rwx, rwop)},
	"microk8s.io/hostpath":         {Filesystem: modes(rwo, rox, rwx, rwop)},
	"driver.longhorn.io":           {Filesystem: modes(rwo, rwx, rwop), Block: modes(rwo, rwx, rwop)},
	"topolvm.io":                   {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"topolvm.cybozu.com":           {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"local.csi.openebs.io":         {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"zfs.csi.openebs.io":           {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwop)},
	"openebs.io/local":             {Filesystem: modes(rwo)},
	"io.openebs.csi-mayastor":      {Filesystem: modes(rwo, rwop), Block: modes(rwo, rwx, rwop)},
}

// capabilitySuffixes match provisioners named with a prefix, as Rook names
// Ceph drivers "<namespace>.rbd.csi.ceph.com".
var capabilitySuffixes = []string{".rbd.csi.ceph.com", ".cephfs.csi.ceph.com"}

// parseAccessModes parses a comma-separated list of access modes.
func parseAccessModes(s string) ([]corev1.PersistentVolumeAccessMode, error) {
	var out []corev1.PersistentVolumeAccessMode
	for _, part := range strings.Split(s, ",") {
		m := corev1.PersistentVolumeAccessMode(strings.TrimSpace(part))
		if !slices.Contains(allAccessModes, m) {
			return nil, fmt.Errorf("unknown access mode %q (known: %s)", m, joinModes(allAccessModes))
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

func joinModes(ms []corev1.PersistentVolumeAccessMode) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(m)
	}
	return strings.Join(parts, ", ")
}

// capabilities returns what the class's provisioner supports and where that
// came from: the class's annotation, the configuration, or the built-in
// table. ok is false for a provisioner volplace knows nothing about.
func (o *Options) capabilities(class *storagev1.StorageClass) (caps Capabilities, source string, ok bool) {
	if ann, found := class.Annotations[AnnAccessModes]; found {
		if m, err := parseAccessModes(ann); err == nil {
			return Capabilities{Filesystem: m, Block: m}, "annotation " + AnnAccessModes, true
		}
	}
	if c, found := o.Capabilities[class.Provisioner]; found {
		return c, "volplace configuration", true
	}
	if c, found := builtinCapabilities[class.Provisioner]; found {
		return c, "volplace's table of known provisioners", true
	}
	for _, suffix := range capabilitySuffixes {
		if strings.HasSuffix(class.Provisioner, suffix) {
			return builtinCapabilities[strings.TrimPrefix(suffix, ".")], "volplace's table of known provisioners", true
		}
	}
	return Capabilities{}, "", false
}
