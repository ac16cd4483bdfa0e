#!/usr/bin/env bash
# The state topic restore benchmark (BENCHMARKS.md, "State topic restore"): a broker of its
# own (scripts/kafka/kafka), MARKS seen marks written through KafkaStore, then restored by a
# fresh process, twice.
#
#   bench/state_restore.sh BUILD_DIR [MARKS]     default MARKS=1000000
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: state_restore.sh BUILD_DIR [MARKS]}"
marks="${2:-1000000}"
tool="$build/bench/state_restore"
dir="$(mktemp -d /tmp/newsd-state-bench-XXXXXX)"
trap '"$root/scripts/kafka/kafka" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
brokers="$("$root/scripts/kafka/kafka" start "$dir" | tail -n 1)"
echo "broker $brokers; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$tool" codec 1000000
/usr/bin/time -f "write: %e s wall, %U+%S CPU-s, peak RSS %M KB" \
  "$tool" write "$brokers" bench.state "$marks" 1000
for run in 1 2; do
  # The progress lines go to stderr; time's own line to a file.
  /usr/bin/time -o "$dir/time" -f "restore $run: %e s wall, %U+%S CPU-s, peak RSS %M KB" \
    "$tool" restore "$brokers" bench.state 2>/dev/null
  cat "$dir/time"
done
echo "topic on disk: $(du -sh "$dir/data" | cut -f1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
