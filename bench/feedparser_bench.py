#!/usr/bin/python3
"""python3-feedparser over the corpus feeds, grouped by format as newsd detects them, and the
comparison with parse_bench's figures from the same run.

  feedparser_bench.py [--corpus DIR] [--min-time SECONDS] [--newsd-json FILE]

For each format (rss, rdf, atom) every feed of that format is parsed once per pass, passes
repeat for at least --min-time seconds of CPU time (process_time, as Google Benchmark reports
CPU time). A pass of feedparser takes 4-30 ms; run_parse_bench.sh has parse_bench time newsd
in windows of 20 ms (Google Benchmark repetitions). Both sides are reported the same two ways:
the best window (what the code does when the machine leaves it alone) and the median window.
Until 2026-11-23 newsd's figure was the mean of one 1 s run against feedparser's best pass,
which on a machine whose speed swings within seconds counted the swings against newsd only.
With --newsd-json (parse_bench --benchmark_format=json output) it prints newsd beside
feedparser and the ratios.

With --paired PARSE_BENCH the two take turns instead: a pass of feedparser, then a window of
`parse_bench --serve` on the same files sized to take about as long, and so on for
--min-time seconds of feedparser. Each pair gives a ratio measured within the same second or
so, so the machine's swings (2x within minutes on the shared VMs) cancel; the median pair
ratio and its quartiles are printed.
"""

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import feedparser

FORMAT = {"rss090": "rdf", "rss10": "rdf", "atom03": "atom", "atom10": "atom"}
HEADERS = {"content-type": "application/xml"}


def group(corpus):
    """Format -> [(path, bytes)] of the corpus feeds feedparser can read."""
    groups = {}
    for path in sorted((corpus / "feeds").iterdir()):
        data = path.read_bytes()
        version = feedparser.parse(data, response_headers=HEADERS).version
        if not version:
            continue  # JSON Feed: feedparser 6.0.10 cannot read it
        fmt = FORMAT.get(version, "rss" if version.startswith("rss") else version)
        groups.setdefault(fmt, []).append((path, data))
    return groups


def fp_pass(docs):
    start = time.process_time()
    for data in docs:
        feedparser.parse(data, response_headers=HEADERS)
    return time.process_time() - start


def paired(parse_bench, paths, docs, min_time):
    """Median, quartiles and count of feedparser-pass / newsd-pass time ratios, taken in turns."""
    proc = subprocess.Popen([parse_bench, "--serve", *map(str, paths)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def window(passes):
        proc.stdin.write(f"{passes}\n")
        proc.stdin.flush()
        return float(proc.stdout.readline().split()[0]) / passes

    try:
        fp_pass(docs)  # warm-up
        # Passes per newsd window: about as long as one feedparser pass.
        passes = max(1, int(fp_pass(docs) / max(window(200), 1e-9)))
        ratios = []
        spent = 0.0
        while spent < min_time or len(ratios) < 5:
            fp = fp_pass(docs)
            ratios.append(fp / window(passes))
            spent += fp
    finally:
        proc.stdin.close()
        proc.wait()
    q = statistics.quantiles(ratios, n=4)
    return q[1], q[0], q[2], len(ratios)


def measure(docs, min_time):
    passes = []
    entries = 0
    while sum(passes) < min_time or len(passes) < 3:
        start = time.process_time()
        n = 0
        for data in docs:
            n += len(feedparser.parse(data, response_headers=HEADERS).entries)
        passes.append(time.process_time() - start)
        entries = n
    size = sum(len(d) for d in docs)
    best = min(passes)
    median = statistics.median(passes)
    return {"files": len(docs), "bytes": size, "entries": entries, "seconds": best,
            "mb_per_s": size / best / 1e6, "median_mb_per_s": size / median / 1e6,
            "records_per_s": entries / best, "passes": len(passes)}


def newsd_figures(path):
    """Per benchmark: the best and the median repetition (one when run without repetitions)."""
    runs = {}
    with open(path, encoding="utf-8") as f:
        for b in json.load(f)["benchmarks"]:
            if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
                continue
            runs.setdefault(b["name"], []).append(b)
    out = {}
    for name, reps in runs.items():
        best = max(reps, key=lambda b: b["bytes_per_second"])
        out[name] = {"mb_per_s": best["bytes_per_second"] / 1e6,
                     "median_mb_per_s": statistics.median(b["bytes_per_second"] for b in reps) / 1e6,
                     "records_per_s": best.get("items_per_second", 0.0),
                     "windows": len(reps)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--newsd-json", type=Path)
    ap.add_argument("--paired", metavar="PARSE_BENCH",
                    help="also alternate feedparser with this parse_bench --serve")
    args = ap.parse_args()

    ours = newsd_figures(args.newsd_json) if args.newsd_json else {}
    print(f"feedparser {feedparser.__version__}, single thread; best window (median window)")
    header = (f"{'format':<10}{'files':>6}{'KiB':>6} | {'feedparser MB/s':>22}{'rec/s':>8} | "
              f"{'newsd MB/s':>16}{'rec/s':>9} | {'ratio':>12}")
    print(header)
    print("-" * len(header))
    groups = sorted(group(args.corpus).items())
    for fmt, items in groups:
        fp = measure([d for _, d in items], args.min_time)
        line = (f"{fmt:<10}{fp['files']:>6}{fp['bytes'] / 1024:>6.0f} | "
                f"{fp['mb_per_s']:>13.2f} ({fp['median_mb_per_s']:>5.2f}){fp['records_per_s']:>8.0f} | ")
        n = ours.get(f"format/{fmt}")
        if n:
            line += (f"{n['mb_per_s']:>8.1f} ({n['median_mb_per_s']:>5.1f}){n['records_per_s']:>9.0f} | "
                     f"{n['mb_per_s'] / fp['mb_per_s']:>4.0f}x ({n['median_mb_per_s'] / fp['median_mb_per_s']:>3.0f}x)")
        print(line)
    if args.paired:
        print()
        print("paired: feedparser pass / newsd window on the same files, in turns")
        print(f"{'format':<10}{'pairs':>6} | {'median ratio':>12} | {'quartiles':>14}")
        for fmt, items in groups:
            median, low, high, n = paired(args.paired, [p for p, _ in items],
                                          [d for _, d in items], args.min_time)
            print(f"{fmt:<10}{n:>6} | {median:>11.0f}x | {low:>6.0f}x-{high:.0f}x")
        print()
    for name in ("format/html", "format/jekyll", "format/text", "format/jsonfeed"):
        if name in ours:
            n = ours[name]
            print(f"{name[7:]:<10}{'':>6}{'':>6} | {'(no reference)':>22}{'':>8} | "
                  f"{n['mb_per_s']:>8.1f} ({n['median_mb_per_s']:>5.1f}){n['records_per_s']:>9.0f} |")


if __name__ == "__main__":
    main()
