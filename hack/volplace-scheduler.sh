#!/usr/bin/env bash
# Builds volplace-scheduler, kube-scheduler with volplace's plugin compiled
# in, from the nested module cmd/volplace-scheduler (which pins
# k8s.io/kubernetes and builds the plugin from this clone), and prints the
# binary's absolute path as its only line on stdout; progress goes to
# stderr.
#
#   VOLPLACE_SCHEDULER="$(hack/volplace-scheduler.sh)"
#
# The binary goes to $VOLPLACE_CACHE/volplace-scheduler/<clone hash>/
# (VOLPLACE_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/volplace); it
# is rebuilt on every run, which the Go build cache makes fast when nothing
# changed. It is built under a temporary name and then mv'd into place.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${VOLPLACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/volplace}"
# One directory per clone or worktree, so that two builds do not race.
dir="$cache/volplace-scheduler/$(printf '%s' "$root" | sha256sum | cut -c1-12)"
mkdir -p "$dir"
out="$dir/volplace-scheduler"
tmp="$(mktemp "$dir/.volplace-scheduler.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "volplace-scheduler: building into $out" >&2
(cd "$root/cmd/volplace-scheduler" && GOWORK=off go build -trimpath -o "$tmp" .) >&2
mv -f "$tmp" "$out"
echo "$out"
