#!/usr/bin/python3
"""python3-feedparser over the corpus feeds, grouped by format as newsd detects them, and the
comparison with parse_bench's figures from the same run.

  feedparser_bench.py [--corpus DIR] [--min-time SECONDS] [--newsd-json FILE]

For each format (rss, rdf, atom) every feed of that format is parsed once per pass, passes
repeat for at least --min-time seconds of CPU time (process_time, as Google
Benchmark reports CPU time, so a loaded machine skews neither), and the best pass counts (as Google Benchmark's mean
over many iterations approximates it). With --newsd-json (parse_bench
--benchmark_format=json output) it prints newsd beside feedparser and the ratio.
"""

import argparse
import json
import time
from pathlib import Path

import feedparser

FORMAT = {"rss090": "rdf", "rss10": "rdf", "atom03": "atom", "atom10": "atom"}
HEADERS = {"content-type": "application/xml"}


def group(corpus):
    groups = {}
    for path in sorted((corpus / "feeds").iterdir()):
        data = path.read_bytes()
        version = feedparser.parse(data, response_headers=HEADERS).version
        if not version:
            continue  # JSON Feed: feedparser 6.0.10 cannot read it
        fmt = FORMAT.get(version, "rss" if version.startswith("rss") else version)
        groups.setdefault(fmt, []).append(data)
    return groups


def measure(docs, min_time):
    best = float("inf")
    entries = 0
    spent = 0.0
    passes = 0
    while spent < min_time or passes < 3:
        start = time.process_time()
        n = 0
        for data in docs:
            n += len(feedparser.parse(data, response_headers=HEADERS).entries)
        elapsed = time.process_time() - start
        best = min(best, elapsed)
        spent += elapsed
        passes += 1
        entries = n
    size = sum(len(d) for d in docs)
    return {"files": len(docs), "bytes": size, "entries": entries, "seconds": best,
            "mb_per_s": size / best / 1e6, "records_per_s": entries / best, "passes": passes}


def newsd_figures(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for b in json.load(f)["benchmarks"]:
            if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
                continue
            out[b["name"]] = {"mb_per_s": b["bytes_per_second"] / 1e6,
                              "records_per_s": b.get("items_per_second", 0.0)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--newsd-json", type=Path)
    args = ap.parse_args()

    ours = newsd_figures(args.newsd_json) if args.newsd_json else {}
    print(f"feedparser {feedparser.__version__}, single thread")
    header = (f"{'format':<10}{'files':>6}{'KiB':>8} | {'feedparser MB/s':>16}{'rec/s':>10} | "
              f"{'newsd MB/s':>11}{'rec/s':>11} | {'ratio':>7}")
    print(header)
    print("-" * len(header))
    for fmt, docs in sorted(group(args.corpus).items()):
        fp = measure(docs, args.min_time)
        line = (f"{fmt:<10}{fp['files']:>6}{fp['bytes'] / 1024:>8.0f} | "
                f"{fp['mb_per_s']:>16.2f}{fp['records_per_s']:>10.0f} | ")
        n = ours.get(f"format/{fmt}")
        if n:
            line += (f"{n['mb_per_s']:>11.1f}{n['records_per_s']:>11.0f} | "
                     f"{n['mb_per_s'] / fp['mb_per_s']:>6.0f}x")
        print(line)
    for name in ("format/html", "format/jekyll", "format/text", "format/jsonfeed"):
        if name in ours:
            n = ours[name]
            print(f"{name[7:]:<10}{'':>6}{'':>8} | {'(no reference)':>16}{'':>10} | "
                  f"{n['mb_per_s']:>11.1f}{n['records_per_s']:>11.0f} |")


if __name__ == "__main__":
    main()
