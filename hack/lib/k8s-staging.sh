# Sourced by the regen-gomod.sh scripts of the modules that build from
# k8s.io/kubernetes (hack/tools/controlplane, cmd/volplace-scheduler).
#
# k8s.io/kubernetes replaces every k8s.io/<staging> module with a local
# ./staging path (and requires them at v0.0.0), which a consumer cannot use,
# so a consumer replaces each of them with its published v0.<minor>.<patch>
# tag. k8s_staging VERSION reads the list from the kubernetes go.mod itself
# and sets:
#   k8s_mod          the path of k8s.io/kubernetes@VERSION's go.mod
#   staging          the staging modules in the build graph, one per line
#   godebug          its godebug line, if any
#   STAGING_VERSION  v0.<minor>.<patch> of VERSION
# k8s_staging_replaces prints the replace block; k8s_staging_tidy ends the
# regeneration.
k8s_staging() {
  local version="$1" replaced required
  STAGING_VERSION="v0.${version#v1.}"
  k8s_mod="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$k8s_mod" ]] || { echo "cannot locate go.mod of k8s.io/kubernetes@${version}" >&2; return 1; }
  # Modules replaced by a ./staging/ path AND required at v0.0.0 (the
  # others, e.g. sample-cli-plugin, are not in the build graph).
  replaced="$(sed -n '/^replace (/,/^)/p' "$k8s_mod" | awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' | sort)"
  required="$(sed -n '/^require (/,/^)/p' "$k8s_mod" | awk '$2=="v0.0.0" {print $1}' | sort)"
  staging="$(comm -12 <(echo "$replaced") <(echo "$required"))"
  godebug="$(grep -E '^godebug ' "$k8s_mod" || true)"
}

k8s_staging_replaces() {
  echo "replace ("
  for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done
  echo ")"
}

# k8s_staging_tidy completes the go.mod just written in the current
# directory: a new go.sum from go mod tidy, and a line on stderr.
k8s_staging_tidy() {
  rm -f go.sum
  go mod tidy
  echo "regenerated $(pwd)/go.mod for k8s.io/kubernetes ${K8S_VERSION} ($(echo "$staging" | wc -l) staging modules at ${STAGING_VERSION})" >&2
}
