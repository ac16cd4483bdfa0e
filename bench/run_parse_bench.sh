#!/usr/bin/env bash
# The parse benchmark beside python3-feedparser, in one run on the same files (BENCHMARKS.md).
#   bench/run_parse_bench.sh [BUILD_DIR]   default ./build-bench, configured Release when new
#                                          (an existing build dir keeps its build type)
# Prints Google Benchmark's table for newsd, then feedparser's figures, newsd's and the ratio
# per feed format. Single-threaded; set NEWSD_BENCH_CPU to pin both to one core (taskset).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
shared="${NEWSD_SHARED_DIR:-$root/../shared}"
[ -d "$shared/corpus" ] || { echo "run_parse_bench: no corpus at $shared/corpus" >&2; exit 77; }

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target parse_bench -j"${NEWSD_JOBS:-2}" >/dev/null

pin=()
if [ -n "${NEWSD_BENCH_CPU:-}" ]; then pin=(taskset -c "$NEWSD_BENCH_CPU"); fi
out="$(mktemp --suffix=.json)"
trap 'rm -f "$out"' EXIT

echo "== newsd parse_bench ($(nproc) cores here, one used; build type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")) =="
"${pin[@]}" "$build/bench/parse_bench" --corpus "$shared/corpus" --seeds "$shared/seeds" \
  --benchmark_filter='^format/' --benchmark_min_time=0.02 --benchmark_repetitions=50 \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json
echo
echo "== python3-feedparser on the same feeds, and the ratio =="
"${pin[@]}" /usr/bin/python3 "$root/bench/feedparser_bench.py" --corpus "$shared/corpus" \
  --newsd-json "$out" --paired "$build/bench/parse_bench"
