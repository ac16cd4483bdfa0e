#!/usr/bin/env bash
# Static checks of the systemd unit (ctest label `unit`):
#   1. `systemd-analyze verify` prints nothing and succeeds, against a throw-away root that
#      holds the unit, stand-ins for the binaries it runs and the system's own units, so the
#      check neither needs newsd installed nor a running systemd;
#   2. `systemd-analyze security --offline=true` reports an overall exposure of 2.0 or less.
# usage: check_unit.sh SOURCE_DIR
set -euo pipefail
src="${1:?usage: check_unit.sh SOURCE_DIR}"
unit="$src/systemd/newsd.service"
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (scripts/setup installs the systemd package)"
  exit 77
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/usr/bin" "$root/bin" "$root/usr/lib/systemd"
cp "$unit" "$root/etc/systemd/system/newsd.service"
# Stand-ins for every absolute command the unit runs.
for cmd in $(grep -oE '^Exec[A-Za-z]*=[-@:+!]*/[^ ]+' "$unit" | sed -E 's/^[^=]*=[-@:+!]*//' | sort -u); do
  mkdir -p "$root$(dirname "$cmd")"
  cp /bin/true "$root$cmd"
done
sysunits=/usr/lib/systemd/system
[ -d "$sysunits" ] || sysunits=/lib/systemd/system
cp -a "$sysunits" "$root/usr/lib/systemd/system"

status=0
echo "== systemd-analyze verify"
if ! out="$(systemd-analyze verify --root="$root" --man=no --generators=no \
      /etc/systemd/system/newsd.service 2>&1)"; then
  status=1
fi
if [ -n "$out" ]; then
  echo "$out"
  status=1
fi
[ $status -eq 0 ] && echo "clean"

echo "== systemd-analyze security --offline=true"
report="$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)" || true
echo "$report" | grep -E '✗|Overall' || true
exposure="$(echo "$report" | sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p')"
if [ -z "$exposure" ]; then
  echo "FAIL: no overall exposure in the report:"
  echo "$report"
  exit 1
fi
if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
  echo "FAIL: exposure $exposure is above $max_exposure"
  status=1
else
  echo "exposure $exposure (at most $max_exposure)"
fi
exit $status
