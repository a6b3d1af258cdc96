package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/volplace/volplace/test/csidriver"
)

// Annotations kubelet puts on its Node.
const (
	// AnnControllerManagedAttach makes kube-controller-manager's
	// attach-detach controller attach the node's volumes.
	AnnControllerManagedAttach = "volumes.kubernetes.io/controller-managed-attach-detach"
	// AnnCSINodeID maps each CSI driver registered on the node to its node ID.
	AnnCSINodeID = "csi.volume.kubernetes.io/nodeid"
)

// CapacityNamespace is where the provisioners publish CSIStorageCapacity
// objects.
const CapacityNamespace = "kube-system"

// StorageEnv is what the storage stack needs of the running control plane.
type StorageEnv struct {
	// Client writes Nodes, CSINodes and CSIDrivers.
	Client kubernetes.Interface
	// Kubeconfig is a system:masters kubeconfig file for the sidecars.
	Kubeconfig string
	// Assets holds csi-provisioner and csi-attacher; Dir gets their logs
	// and the drivers' sockets and volumes.
	Assets, Dir string
}

// NodeSpec is a node without kubelet: an API object that reports Ready.
type NodeSpec struct {
	Name, Zone string
}

// CreateNode creates a Ready Node in a zone (topology.kubernetes.io/zone)
// whose volumes kube-controller-manager attaches, as kubelet registers one.
func CreateNode(ctx context.Context, client kubernetes.Interface, n NodeSpec) (*corev1.Node, error) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name:        n.Name,
		Labels:      map[string]string{corev1.LabelHostname: n.Name, corev1.LabelTopologyZone: n.Zone},
		Annotations: map[string]string{AnnControllerManagedAttach: "true"},
	}}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating node %s: %w", n.Name, err)
	}
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	created.Status = corev1.NodeStatus{
		Capacity:    resources,
		Allocatable: resources,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
	}
	created, err = client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("marking node %s ready: %w", n.Name, err)
	}
	return created, nil
}

// DriverNode is a driver's pool on one node.
type DriverNode struct {
	// Zone is the node's zone, as the driver reports it.
	Zone string
	// Capacity is the pool's size in bytes; MaxVolumes the attach limit the
	// driver reports (0 for none).
	Capacity, MaxVolumes int64
}

// DriverSpec describes one CSI driver of the storage stack.
type DriverSpec struct {
	// Name is the driver's and its provisioner's name.
	Name string
	// Attach makes the driver need attach (CSIDriver attachRequired, an
	// external-attacher).
	Attach bool
	// Zonal makes the driver's volumes zonal (csidriver.Options.Zonal),
	// provisioned by one central external-provisioner instead of one per
	// node.
	Zonal bool
	// Nodes holds the nodes the driver is installed on; on any other node
	// it is not registered.
	Nodes map[string]DriverNode
	// Kubelets maps the nodes of Nodes that run a kubelet to it: there the
	// driver registers through kubelet's plugin registration (kubelet then
	// writes the CSINode and the Node's labels) and bind-mounts volumes
	// where kubelet asks; on the other nodes RegisterNodePlugin stands in
	// for kubelet.
	Kubelets map[string]*KubeletNode
}

// Driver is a running CSI driver: an instance of test/csidriver per node,
// registered the way kubelet registers a node plugin, and external-
// provisioners publishing capacity (one per node in node deployment, or one
// central for a zonal driver); if it attaches, an external-attacher.
type Driver struct {
	Spec DriverSpec
	// Root is where its volumes live.
	Root string

	sockets string

	mu         sync.Mutex
	instances  []*csidriver.Driver
	processes  []*Process
	registered []func() // stop the registration servers
}

// StartDriver starts a driver and waits until each of its nodes is
// registered. On error it stops what it started.
func StartDriver(ctx context.Context, env StorageEnv, spec DriverSpec) (d *Driver, err error) {
	// Unix socket paths are limited to 108 bytes: keep them short.
	sockets, err := os.MkdirTemp("", "vp-csi-")
	if err != nil {
		return nil, err
	}
	d = &Driver{Spec: spec, Root: filepath.Join(env.Dir, "csi-"+spec.Name), sockets: sockets}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Stop())
		}
	}()
	csiDriver := &storagev1.CSIDriver{
		ObjectMeta: metav1.ObjectMeta{Name: spec.Name},
		Spec: storagev1.CSIDriverSpec{
			AttachRequired:       ptr.To(spec.Attach),
			PodInfoOnMount:       ptr.To(false),
			StorageCapacity:      ptr.To(true),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
		},
	}
	if _, err := env.Client.StorageV1().CSIDrivers().Create(ctx, csiDriver, metav1.CreateOptions{}); err != nil {
		return d, fmt.Errorf("creating CSIDriver %s: %w", spec.Name, err)
	}
	nodes := make([]string, 0, len(spec.Nodes))
	for n := range spec.Nodes {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for i, node := range nodes {
		dn := spec.Nodes[node]
		sock := filepath.Join(sockets, fmt.Sprintf("n%d.sock", i))
		kubelet := spec.Kubelets[node]
		if err := d.serve(csidriver.Options{
			Name: spec.Name, Root: d.Root, Node: node, Zone: dn.Zone,
			Capacity: dn.Capacity, MaxVolumes: dn.MaxVolumes, Attach: spec.Attach, Zonal: spec.Zonal,
			Mount: kubelet != nil,
		}, sock); err != nil {
			return d, err
		}
		if kubelet != nil {
			regCtx, cancel := context.WithTimeout(ctx, ComponentStartTimeout)
			stop, err := serveRegistration(regCtx, kubelet.PluginsRegistry(), spec.Name, sock)
			cancel()
			if err != nil {
				return d, fmt.Errorf("%w\n--- kubelet %s log tail:\n%s", err, node, kubelet.Kubelet().Tail(15, "csi"))
			}
			d.mu.Lock()
			d.registered = append(d.registered, stop)
			d.mu.Unlock()
		} else if err := RegisterNodePlugin(ctx, env.Client, node, spec.Name, sock); err != nil {
			return d, err
		}
		if !spec.Zonal {
			if err := d.startProvisioner(env, "csi-provisioner-"+spec.Name+"-"+node, sock, node); err != nil {
				return d, err
			}
		}
	}
	if !spec.Attach && !spec.Zonal {
		return d, nil
	}
	// The controller instance, which reaches every pool, serves the
	// attacher and, for a zonal driver, the central provisioner.
	sock := filepath.Join(sockets, "controller.sock")
	if err := d.serve(csidriver.Options{Name: spec.Name, Root: d.Root, Attach: spec.Attach, Zonal: spec.Zonal}, sock); err != nil {
		return d, err
	}
	if spec.Zonal {
		if err := d.startProvisioner(env, "csi-provisioner-"+spec.Name, sock, ""); err != nil {
			return d, err
		}
	}
	if spec.Attach {
		p, err := StartProcess("csi-attacher-"+spec.Name, env.Dir, filepath.Join(env.Assets, "csi-attacher"), []string{
			"--csi-address=" + sock,
			"--kubeconfig=" + env.Kubeconfig,
			"--timeout=30s",
			"--v=3",
		}, nil)
		if err != nil {
			return d, err
		}
		d.add(p)
	}
	return d, nil
}

// startProvisioner starts an external-provisioner publishing capacity: on
// node, in node deployment, for a node-local driver; central (node "") for
// a zonal one, the segments then coming from CSINodes and Node labels.
func (d *Driver) startProvisioner(env StorageEnv, name, sock, node string) error {
	args := []string{
		"--csi-address=" + sock,
		"--kubeconfig=" + env.Kubeconfig,
		"--enable-capacity",
		"--capacity-ownerref-level=-1",
		"--extra-create-metadata",
		"--timeout=30s",
		"--v=3",
	}
	envVars := []string{"NAMESPACE=" + CapacityNamespace}
	if node != "" {
		args = append(args, "--node-deployment", "--node-deployment-immediate-binding=false")
		envVars = append(envVars, "NODE_NAME="+node)
	}
	p, err := StartProcess(name, env.Dir, filepath.Join(env.Assets, "csi-provisioner"), args, envVars)
	if err != nil {
		return err
	}
	d.add(p)
	return nil
}

func (d *Driver) serve(opts csidriver.Options, sock string) error {
	inst, err := csidriver.New(opts)
	if err != nil {
		return err
	}
	if err := inst.Listen(sock); err != nil {
		return err
	}
	d.mu.Lock()
	d.instances = append(d.instances, inst)
	d.mu.Unlock()
	return nil
}

func (d *Driver) add(p *Process) {
	d.mu.Lock()
	d.processes = append(d.processes, p)
	d.mu.Unlock()
}

// Processes returns the driver's sidecars.
func (d *Driver) Processes() []*Process {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.processes)
}

// Stop stops the sidecars, then the driver's instances, and removes the
// sockets.
func (d *Driver) Stop() error {
	d.mu.Lock()
	procs, insts, registered := d.processes, d.instances, d.registered
	d.processes, d.instances, d.registered = nil, nil, nil
	d.mu.Unlock()
	for _, stop := range registered {
		stop()
	}
	var errs []error
	for _, p := range procs {
		errs = append(errs, p.Stop())
	}
	for _, inst := range insts {
		inst.Stop()
	}
	errs = append(errs, os.RemoveAll(d.sockets))
	return errors.Join(errs...)
}

// RegisterNodePlugin does for a node without kubelet what kubelet's CSI
// plugin registration does (pkg/volume/csi/nodeinfomanager): it asks the
// node plugin at sock for NodeGetInfo over gRPC, then records the driver's
// node ID on the Node's csi.volume.kubernetes.io/nodeid annotation, its
// topology segment in the Node's labels, and the driver, its topology keys
// and attach limit in the node's CSINode, which the Node owns.
func RegisterNodePlugin(ctx context.Context, client kubernetes.Interface, nodeName, driver, sock string) error {
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	info, err := csi.NewNodeClient(conn).NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil {
		return fmt.Errorf("NodeGetInfo of %s on %s: %w", driver, nodeName, err)
	}
	node, err := client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return registerDriver(ctx, client, node, driver, info)
}
