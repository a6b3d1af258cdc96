#!/usr/bin/env bash
# Installs, from Debian's packages, what the kubelet nodes of test/storage
# need beside kubelet itself (which `hack/control-plane.sh --storage` builds):
# containerd and runc (one containerd per kubelet), the CNI plugins
# (/usr/lib/cni: bridge, host-local, loopback), busybox-static (the suite's
# pause and app images are built from /bin/busybox) and iproute2 (cleanup of
# bridges and network namespaces).
#
# Needs root. Without root it says what is missing and exits 1; the kubelet
# scenario then skips, and everything else runs. Idempotent: installs only
# what is missing.
set -euo pipefail

need=()
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
[[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)
[[ -x /bin/busybox ]] || need+=(busybox-static)
command -v ip >/dev/null 2>&1 || need+=(iproute2)

if (( ${#need[@]} == 0 )); then
  echo "storage-deps: containerd, runc, CNI plugins, busybox and iproute2 are installed" >&2
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "storage-deps: missing ${need[*]}; run as root to install them (apt-get)" >&2
  exit 1
fi
echo "storage-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || {
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
}
