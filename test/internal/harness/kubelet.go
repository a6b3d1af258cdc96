package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// What a kubelet node needs from the machine, beside kubelet itself (built
// by `hack/control-plane.sh --storage`): Debian's containerd, runc,
// containernetworking-plugins and busybox-static (hack/storage-deps.sh
// installs them), and root.
const (
	containerdBin = "containerd"
	cniBinDir     = "/usr/lib/cni"
	busyboxBin    = "/bin/busybox"
)

// KubeletSupport tells why this machine cannot run kubelet nodes, or nil.
func KubeletSupport(assets string) error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (kubelet and containerd mount, and make cgroups and network interfaces)")
	}
	if _, err := os.Stat(filepath.Join(assets, "kubelet")); err != nil {
		missing = append(missing, "kubelet in "+assets+" (hack/control-plane.sh --storage)")
	}
	for _, bin := range []string{containerdBin, "runc", "ctr", "ip"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin+" on PATH (hack/storage-deps.sh)")
		}
	}
	for _, f := range []string{filepath.Join(cniBinDir, "bridge"), filepath.Join(cniBinDir, "host-local"), filepath.Join(cniBinDir, "loopback"), busyboxBin} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f+" (hack/storage-deps.sh)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kubelet nodes need %s", strings.Join(missing, "; "))
	}
	return nil
}

// KubeletNode is a real node: a kubelet with a containerd of its own (own
// socket, root, state, CNI bridge and subnet, cgroup root), so that
// several run on one machine without killing each other's pods.
type KubeletNode struct {
	Name, Zone string
	// Dir holds everything the node writes; RootDir is kubelet's --root-dir.
	Dir, RootDir string

	index      int
	bridge     string
	containerd *Process
	kubelet    *Process
	netns      []string // network namespaces that existed before the node
}

// PluginsRegistry is where kubelet looks for plugin registration sockets.
func (k *KubeletNode) PluginsRegistry() string { return filepath.Join(k.RootDir, "plugins_registry") }

// Kubelet is its kubelet process.
func (k *KubeletNode) Kubelet() *Process { return k.kubelet }

// StartKubeletNode starts containerd and kubelet for node index (1-based,
// distinct per node: it picks the subnet, bridge and ports), imports the
// suite's images, and waits until kubelet has registered the Node Ready.
// On error it stops what it started.
func StartKubeletNode(ctx context.Context, env StorageEnv, index int, name, zone string) (k *KubeletNode, err error) {
	// Unix socket paths are limited to 108 bytes: a short base directory.
	dir, err := os.MkdirTemp("", "vpk-")
	if err != nil {
		return nil, err
	}
	k = &KubeletNode{Name: name, Zone: zone, Dir: dir, RootDir: filepath.Join(dir, "kubelet"), index: index, bridge: fmt.Sprintf("vpk%d", index)}
	k.netns, _ = listNetns()
	defer func() {
		if err != nil {
			err = errors.Join(err, k.Stop())
		}
	}()
	for _, d := range []string{"root", "state", "cni", "logs", "kubelet/plugins_registry", "pki"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return k, err
		}
	}
	if err := k.startContainerd(ctx); err != nil {
		return k, err
	}
	if err := k.makeCgroups(); err != nil {
		return k, err
	}
	config := filepath.Join(dir, "kubelet.yaml")
	if err := os.WriteFile(config, []byte(k.kubeletConfig()), 0o600); err != nil {
		return k, err
	}
	k.kubelet, err = StartProcess("kubelet-"+name, env.Dir, filepath.Join(env.Assets, "kubelet"), []string{
		"--config=" + config,
		"--kubeconfig=" + env.Kubeconfig,
		"--hostname-override=" + name,
		"--root-dir=" + k.RootDir,
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--node-labels=" + corev1.LabelTopologyZone + "=" + zone,
		"--v=2",
	}, nil)
	if err != nil {
		return k, err
	}
	err = Poll(ctx, ComponentStartTimeout, func() (bool, error) {
		select {
		case <-k.kubelet.Exited():
			return false, k.kubelet.Failure()
		default:
		}
		node, err := env.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not registered yet
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return k, fmt.Errorf("kubelet %s did not report Ready: %w\n%s", name, err, k.kubelet.Tail(20, ""))
	}
	return k, nil
}

func (k *KubeletNode) socket() string { return filepath.Join(k.Dir, "containerd.sock") }

func (k *KubeletNode) startContainerd(ctx context.Context) error {
	config := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[ttrpc]
  address = "%[3]s.ttrpc"
[debug]
  address = "%[3]s.debug"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  # root here lacks CAP_SYS_RESOURCE: without this runc fails with
  # "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[5]q
    conf_dir = %[6]q
`, filepath.Join(k.Dir, "root"), filepath.Join(k.Dir, "state"), k.socket(), PauseImage, cniBinDir, filepath.Join(k.Dir, "cni"))
	cni := fmt.Sprintf(`{"cniVersion":"0.4.0","name":%[1]q,"plugins":[{"type":"bridge","bridge":%[1]q,"isGateway":true,"ipMasq":false,`+
		`"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.%[2]d.0/24"}]],"dataDir":%[3]q}},{"type":"loopback"}]}`,
		k.bridge, k.index, filepath.Join(k.Dir, "ipam"))
	if err := os.WriteFile(filepath.Join(k.Dir, "containerd.toml"), []byte(config), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "cni", "10-"+k.bridge+".conflist"), []byte(cni), 0o600); err != nil {
		return err
	}
	var err error
	k.containerd, err = StartProcess("containerd-"+k.Name, k.Dir, containerdBin, []string{"--config", filepath.Join(k.Dir, "containerd.toml")}, nil)
	if err != nil {
		return err
	}
	for _, img := range []string{PauseImage, AppImage} {
		archive := filepath.Join(k.Dir, strings.NewReplacer("/", "_", ":", "_").Replace(img)+".tar")
		if err := WriteImageArchive(archive, img, busyboxBin, []string{"/bin/sleep", "infinity"}); err != nil {
			return err
		}
		err := Poll(ctx, ComponentStartTimeout, func() (bool, error) {
			select {
			case <-k.containerd.Exited():
				return false, k.containerd.Failure()
			default:
			}
			out, err := exec.CommandContext(ctx, "ctr", "--address", k.socket(), "-n", "k8s.io", "images", "import", archive).CombinedOutput()
			if err != nil && strings.Contains(string(out), "connect") {
				return false, nil // containerd not listening yet
			}
			if err != nil {
				return false, fmt.Errorf("ctr images import %s: %w: %s", img, err, out)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// cgroupRoot is kubelet's cgroupRoot, under which it puts its pods.
func (k *KubeletNode) cgroupRoot() string { return "/volplace-" + k.Name }

// cgroupDirs lists the cgroupRoot in every mounted hierarchy.
func (k *KubeletNode) cgroupDirs() ([]string, error) {
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil { // cgroup v2
		return []string{filepath.Join("/sys/fs/cgroup", k.cgroupRoot())}, nil
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup", e.Name(), k.cgroupRoot()))
		}
	}
	return dirs, nil
}

// makeCgroups creates the cgroupRoot, which kubelet requires to exist.
func (k *KubeletNode) makeCgroups() error {
	dirs, err := k.cgroupDirs()
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cgroup root: %w", err)
		}
	}
	return nil
}

func (k *KubeletNode) kubeletConfig() string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: %[1]d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[2]d
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
# This machine: cgroup v1 without systemd, swap allowed.
cgroupDriver: cgroupfs
cgroupRoot: %[3]s
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: unix://%[4]s
podLogsDir: %[5]s
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "0%%"
  nodefs.available: "0%%"
  nodefs.inodesFree: "0%%"
  imagefs.available: "0%%"
resolvConf: ""
`, 10350+2*k.index, 10351+2*k.index, k.cgroupRoot(), k.socket(), filepath.Join(k.Dir, "logs"))
}

// Stop stops kubelet and containerd and removes what they leave: the
// containers' shims, mounts under the node's directory, its cgroups, its
// bridge and the network namespaces its pods had. Delete the node's pods
// first for a clean stop; Stop cleans up either way.
func (k *KubeletNode) Stop() error {
	var errs []error
	errs = append(errs, k.kubelet.Stop())
	dirs, _ := k.cgroupDirs()
	// The containers run in the node's cgroups; their shims, which outlive
	// containerd, are found by the socket on their command line.
	for _, d := range dirs {
		killCgroup(d)
	}
	errs = append(errs, k.containerd.Stop())
	killShims(k.socket())
	errs = append(errs, unmountUnder(k.Dir))
	for _, d := range dirs {
		errs = append(errs, removeCgroup(d))
	}
	_ = exec.Command("ip", "link", "del", k.bridge).Run() // absent if no pod ran
	// Its pods' network namespaces: new since the node started, and used by
	// no process now that its containers are gone (another node's pods still
	// use theirs).
	if now, err := listNetns(); err == nil {
		inUse := netnsInUse()
		for _, ns := range now {
			if !strings.HasPrefix(ns, "cni-") || slices.Contains(k.netns, ns) {
				continue
			}
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(netnsDir, ns), &st) == nil && !inUse[st.Ino] {
				_ = exec.Command("ip", "netns", "del", ns).Run()
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stopping kubelet node %s: %w", k.Name, err)
	}
	return os.RemoveAll(k.Dir)
}

// killCgroup kills every process in a cgroup and the ones below it.
func killCgroup(root string) {
	for range 10 {
		found := false
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil //nolint:nilerr // a cgroup gone meanwhile has no processes left
			}
			data, _ := os.ReadFile(path)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					found = true
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
		if !found {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killShims kills the containerd-shim processes of a containerd, found by
// its socket on their command line.
func killShims(socket string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		if len(args) == 0 || !strings.Contains(args[0], "containerd-shim") || !slices.Contains(args, socket) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(200 * time.Millisecond)
}

// unmountUnder unmounts, deepest first, every mount under dir.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var targets []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 1 && (fields[1] == dir || strings.HasPrefix(fields[1], dir+"/")) {
			targets = append(targets, fields[1])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(targets)))
	var errs []error
	for _, t := range targets {
		if err := syscall.Unmount(t, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// removeCgroup removes a cgroup and the ones below it, deepest first.
func removeCgroup(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("removing cgroup %s: %w", d, err)
		}
	}
	return nil
}

// netnsDir is where `ip netns` and the CNI plugins keep named network
// namespaces.
const netnsDir = "/var/run/netns"

// netnsInUse returns the inodes of the network namespaces processes are in.
func netnsInUse() map[uint64]bool {
	inUse := map[uint64]bool{}
	links, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, l := range links {
		var st syscall.Stat_t
		if syscall.Stat(l, &st) == nil {
			inUse[st.Ino] = true
		}
	}
	return inUse
}

func listNetns() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out, nil
}

// DeleteNode deletes the Node object of a kubelet node that was stopped.
func DeleteNode(ctx context.Context, client kubernetes.Interface, name string) error {
	return client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
}
