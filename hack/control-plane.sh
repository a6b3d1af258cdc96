#!/usr/bin/env bash
# Builds a real Kubernetes test control plane (kube-apiserver, kube-scheduler,
# etcd) from source through the Go module proxy and caches it outside the
# clone, in the layout controller-runtime's envtest expects:
#
#   export KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
#
# With --storage it also builds the storage stack of test/storage into the
# same directory: kube-controller-manager and kubelet (same builder module),
# and the CSI
# sidecars csi-provisioner (external-provisioner ${PROVISIONER_VERSION}) and
# csi-attacher (external-attacher ${ATTACHER_VERSION}), each pinned by its
# nested builder module hack/tools/csi-provisioner and hack/tools/csi-attacher
# (regenerate with hack/tools/regen-csi-gomod.sh).
#
# On success it prints exactly one line on stdout, the absolute bin dir; all
# progress goes to stderr.
#
# - kube-apiserver and kube-scheduler come from k8s.io/kubernetes ${K8S_VERSION},
#   pinned (with every k8s.io staging module replaced by its v0.x release) by
#   the nested builder module hack/tools/controlplane (go.mod + go.sum; regenerate
#   with hack/tools/controlplane/regen-gomod.sh).
# - etcd comes from go.etcd.io/etcd/server/v3 ${ETCD_VERSION}, pinned by the
#   nested module hack/tools/etcd.
# - the machine's kubectl, if any, is symlinked beside them.
#
# Environment:
#   KUBEBUILDER_ASSETS  if set and holding kube-apiserver, etcd and kube-scheduler,
#                       it is printed and nothing is built.
#   VOLPLACE_CACHE      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/volplace);
#                       binaries go to $VOLPLACE_CACHE/k8s/<k8s version>/bin.
#
# Idempotent: a binary already in the bin dir is not rebuilt. Concurrent runs
# are serialised with flock where available, and every binary is built under
# a temporary name and then mv'd into place, so a reader never sees a
# half-written binary.
set -euo pipefail

K8S_VERSION=v1.36.3
K8S_MAJOR=1
K8S_MINOR=36
ETCD_VERSION=v3.6.8
PROVISIONER_VERSION=v6.4.0
ATTACHER_VERSION=v4.13.0
# Release date of k8s.io/kubernetes v1.36.3 on the module proxy; used as the
# buildDate so builds are reproducible.
K8S_BUILD_DATE=2026-07-22T18:07:38Z

log() { echo "control-plane: $*" >&2; }
die() { log "error: $*"; exit 1; }

WANT=(kube-apiserver etcd kube-scheduler)
case "${1:-}" in
  --storage) WANT+=(kube-controller-manager kubelet csi-provisioner csi-attacher) ;;
  "") ;;
  *) die "usage: $0 [--storage]" ;;
esac

has_all() { # dir
  local d="$1" b
  for b in "${WANT[@]}"; do
    [[ -f "$d/$b" && -x "$d/$b" ]] || return 1
  done
}

# 0. Respect an existing, complete KUBEBUILDER_ASSETS.
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_all "$KUBEBUILDER_ASSETS"; then
    (cd "$KUBEBUILDER_ASSETS" && pwd -P)
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks one of ${WANT[*]}; using the build cache instead"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CP_MOD="$ROOT/hack/tools/controlplane"
ETCD_MOD="$ROOT/hack/tools/etcd"

# 1. Cache dir, outside the clone.
CACHE_ROOT="${VOLPLACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/volplace}"
mkdir -p "$CACHE_ROOT/k8s/$K8S_VERSION/bin"
CACHE_DIR="$(cd "$CACHE_ROOT/k8s/$K8S_VERSION" && pwd -P)"
BIN="$CACHE_DIR/bin"

missing() { # names...: prints those not present in $BIN
  local b
  for b in "$@"; do [[ -f "$BIN/$b" && -x "$BIN/$b" ]] || echo "$b"; done
}

# Serialise concurrent runs: the second one waits, then finds the binaries.
if [[ -n "$(missing "${WANT[@]}")" ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.lock"
  if ! flock -n 9; then
    log "another build holds $CACHE_DIR/.lock; waiting for it"
    flock 9
  fi
fi

k8s_bins=(kube-apiserver kube-scheduler)
[[ " ${WANT[*]} " == *" kube-controller-manager "* ]] && k8s_bins+=(kube-controller-manager kubelet)
mapfile -t need_k8s < <(missing "${k8s_bins[@]}")
mapfile -t need_etcd < <(missing etcd)
need_csi=()
[[ " ${WANT[*]} " == *" csi-provisioner "* ]] && mapfile -t need_csi < <(missing csi-provisioner csi-attacher)

if (( ${#need_k8s[@]} + ${#need_etcd[@]} + ${#need_csi[@]} > 0 )); then
  GO="$(command -v go || true)"
  if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
  [[ -n "$GO" ]] || die "go not found on PATH (nor /usr/local/go/bin/go)"
  # The builder modules are pinned by their committed go.mod/go.sum; never let
  # a go.work, a vendor dir or a -mod=mod in the caller's GOFLAGS change that.
  export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

  TMP="$(mktemp -d "$CACHE_DIR/.build.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT

  # 2. kube-apiserver + kube-scheduler in one go build, sharing the common packages.
  if (( ${#need_k8s[@]} > 0 )); then
    ver_ldflags=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ver_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR"
      ver_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$K8S_BUILD_DATE"
    done
    pkgs=()
    for b in "${need_k8s[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
    log "building ${need_k8s[*]} $K8S_VERSION into $BIN (cold: ~7 min on 2 cores)"
    start=$SECONDS
    # Same tags and flags as upstream's hack/lib/golang.sh for non-debug static builds.
    (cd "$CP_MOD" && "$GO" build -trimpath -tags selinux,notest,grpcnotrace \
      -ldflags "-s -w$ver_ldflags" -o "$TMP/" "${pkgs[@]}") >&2
    for b in "${need_k8s[@]}"; do mv -f "$TMP/$b" "$BIN/$b"; done
    log "built ${need_k8s[*]} in $((SECONDS - start))s"
  fi

  # 3. etcd.
  if (( ${#need_etcd[@]} > 0 )); then
    log "building etcd $ETCD_VERSION into $BIN"
    start=$SECONDS
    (cd "$ETCD_MOD" && "$GO" build -trimpath \
      -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION-volplace" \
      -o "$TMP/etcd" .) >&2
    mv -f "$TMP/etcd" "$BIN/etcd"
    log "built etcd in $((SECONDS - start))s"
  fi

  # 4. The CSI sidecars, each from its own builder module.
  for b in "${need_csi[@]}"; do
    case "$b" in
      csi-provisioner) pkg=github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner ver=$PROVISIONER_VERSION ;;
      csi-attacher) pkg=github.com/kubernetes-csi/external-attacher/v4/cmd/csi-attacher ver=$ATTACHER_VERSION ;;
    esac
    log "building $b $ver into $BIN"
    start=$SECONDS
    (cd "$ROOT/hack/tools/$b" && "$GO" build -trimpath -ldflags "-s -w -X main.version=$ver" -o "$TMP/$b" "$pkg") >&2
    mv -f "$TMP/$b" "$BIN/$b"
    log "built $b in $((SECONDS - start))s"
  done
fi

# 5. The machine's kubectl beside them (envtest looks for it there for some features).
if [[ -L "$BIN/kubectl" && ! -e "$BIN/kubectl" ]]; then
  rm -f "$BIN/kubectl" # dangling: the machine's kubectl went away
fi
if [[ ! -e "$BIN/kubectl" ]]; then
  kubectl_path="$(command -v kubectl || true)"
  if [[ -n "$kubectl_path" && -x "$kubectl_path" ]]; then
    real="$(readlink -f "$kubectl_path")"
    if [[ "$real" != "$BIN"/* ]]; then
      ln -sfn "$kubectl_path" "$BIN/.kubectl.$$" && mv -f "$BIN/.kubectl.$$" "$BIN/kubectl"
      log "linked kubectl -> $kubectl_path"
    fi
  else
    log "no kubectl on PATH; not placing one in $BIN"
  fi
fi

has_all "$BIN" || die "$BIN is incomplete after the build"
echo "$BIN"
