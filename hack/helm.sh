#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v4 ${HELM_VERSION}) once from the Go module proxy,
# pinned by the nested builder module hack/tools/helm (go.mod + go.sum), and
# caches it beside the other tools as $TOOLS_DIR/helm-${HELM_VERSION}:
#
#   HELM="$(hack/helm.sh)"
#
# On success it prints exactly one line on stdout, the absolute path of the
# binary; progress goes to stderr. test/deploy runs it to find helm.
#
# Environment:
#   VOLPLACE_HELM  if set to an executable, it is printed and nothing is built.
#   TOOLS_DIR      cache dir (default ${VOLPLACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/volplace}/tools,
#                  the Makefile's TOOLS_DIR).
#
# Idempotent; concurrent runs are serialised with flock where available and
# the binary is built under a temporary name and then mv'd into place.
set -euo pipefail

HELM_VERSION=v4.3.2

log() { echo "helm: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -n "${VOLPLACE_HELM:-}" ]]; then
  [[ -x "$VOLPLACE_HELM" ]] || die "VOLPLACE_HELM=$VOLPLACE_HELM is not an executable"
  echo "$VOLPLACE_HELM"
  exit 0
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS_DIR="${TOOLS_DIR:-${VOLPLACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/volplace}/tools}"
mkdir -p "$TOOLS_DIR"
TOOLS_DIR="$(cd "$TOOLS_DIR" && pwd -P)"
OUT="$TOOLS_DIR/helm-$HELM_VERSION"

if [[ ! -x "$OUT" ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS_DIR/.helm.lock"
  if ! flock -n 9; then
    log "another build holds $TOOLS_DIR/.helm.lock; waiting for it"
    flock 9
  fi
fi

if [[ ! -x "$OUT" ]]; then
  GO="$(command -v go || true)"
  if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
  [[ -n "$GO" ]] || die "go not found on PATH (nor /usr/local/go/bin/go)"
  # The committed go.mod/go.sum pin helm and its dependencies; a go.work or a
  # -mod=mod in the caller's GOFLAGS must not change that.
  export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
  log "building helm $HELM_VERSION into $OUT (cold: a few minutes on 2 cores)"
  start=$SECONDS
  tmp="$OUT.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  # The ldflags are those of helm's own Makefile: without the version, `helm
  # version` reports only the minor release.
  (cd "$ROOT/hack/tools/helm" && "$GO" build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    -o "$tmp" helm.sh/helm/v4/cmd/helm) >&2
  mv -f "$tmp" "$OUT"
  log "built helm in $((SECONDS - start))s"
fi
echo "$OUT"
