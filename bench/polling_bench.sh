#!/usr/bin/env bash
# The polling benchmark: 10,000 Atom feeds served by nginx on loopback, newsd polling them
# (conditional GETs, then 20 new posts per feed into a real Kafka broker), measured against
# wrk (same nginx, same URLs, same If-None-Match) and kcat (same records, same producer
# settings) in the same run. Figures go to stdout as JSON; BENCHMARKS.md ("## Polling")
# says how to read them.
#
#   bench/polling_bench.sh [BUILD_DIR] [-- extra options of polling_bench.py]
#
# BUILD_DIR defaults to ./build; NEWSD_BIN overrides the binary. Needs scripts/setup
# (nginx-light, wrk, kcat, the Kafka jars). Every phase is bounded in time; the whole run
# takes a few minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
bin="${NEWSD_BIN:-$build/daemon/app/newsd}"
[ -x "$bin" ] || { echo "polling_bench: no newsd at $bin (build it, or set NEWSD_BIN)" >&2; exit 1; }
for tool in nginx wrk kcat; do
  command -v "$tool" > /dev/null || { echo "polling_bench: $tool missing: run scripts/setup" >&2; exit 1; }
done
exec /usr/bin/python3 "$here/polling_bench.py" --newsd "$bin" "$@"
