#!/usr/bin/env bash
# Prints the vulnerability database govulncheck should read, and says on
# stderr which one and of what date:
#   1. GOVULNDB, when set;
#   2. the public database, https://vuln.go.dev, when it answers;
#   3. an offline copy in the layout vuln.go.dev serves: VOLPLACE_VULNDB, or
#      ../shared/vulndb beside the clone, or /work/shared/vulndb.
# Exits 1, printing nothing, when none is available.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

modified() { # the database's modification date, from its index
	local index
	case "$1" in
	file://*) index="$(cat "${1#file://}/index/db.json" 2>/dev/null || true)" ;;
	*) index="$(curl -fsS -m 10 "$1/index/db.json" 2>/dev/null || true)" ;;
	esac
	sed -n 's/.*"modified" *: *"\([^"]*\)".*/\1/p' <<<"$index"
}

pick() {
	echo "vulncheck: database $1 ($2), modified $(modified "$1" || echo unknown)" >&2
	echo "$1"
	exit 0
}

if [[ -n "${GOVULNDB:-}" ]]; then
	pick "$GOVULNDB" "GOVULNDB"
fi
if curl -fsS -m 10 -o /dev/null https://vuln.go.dev/index/db.json 2>/dev/null; then
	pick https://vuln.go.dev "the public database"
fi
for dir in "${VOLPLACE_VULNDB:-}" "$root/../shared/vulndb" /work/shared/vulndb; do
	if [[ -n "$dir" && -f "$dir/index/db.json" ]]; then
		pick "file://$(cd "$dir" && pwd)" "offline copy: vuln.go.dev is unreachable"
	fi
done
echo "vulncheck: no vulnerability database: vuln.go.dev is unreachable and no offline copy was found (set GOVULNDB or VOLPLACE_VULNDB)" >&2
exit 1
