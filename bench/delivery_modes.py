#!/usr/bin/python3
"""Compares newsd's delivery modes on the polling bench's publishing pass (issue 20): N Atom
feeds served by nginx on loopback, a real single-node Kafka broker, and `newsd once`
publishing `--posts` new posts per feed, in alternating rounds so that each comparison is made
in the same minutes of a noisy machine:

    at-least-once (sqlite)   state in state_dir/newsd.sqlite3 (the default)
    at-least-once (kafka)    state.backend: kafka, marks written by the store's own producer
    exactly-once             kafka.delivery: exactly_once, posts and marks in one transaction
    kcat                     the same records (with newsd's six headers) produced by kcat
                             with newsd's producer settings: the reference no client beats

    bench/delivery_modes.py build/daemon/app/newsd [--rounds 3] [--sources 2000] [--posts 20]

Each mode has its own state (state_dir, state topic, transactional id), so every pass
publishes N x posts new posts. CPU per post is newsd's CPU from its first request to its exit
divided by the posts (the start-up, which restores a Kafka state, is left out); posts/s is
over the same window. The medians over the rounds end the output, with the ratio the issue
sets a target for: exactly-once CPU per post over at-least-once's, at most 1.20."""
import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import polling_bench as pb  # noqa: E402
from once_alternate import bench_machine, kcat_pass, measured_pass  # noqa: E402

MODES = {
    "alo-sqlite": ("at-least-once (sqlite)", None, None),
    "alo-kafka": ("at-least-once (kafka state)", "bench.state.alo", None),
    "eos": ("exactly-once", "bench.state.eos", "exactly_once"),
}


def write_mode_config(path, base, work, mode):
    """The bench's configuration for `mode`: its own state_dir (so its own SQLite file or
    default transactional id), its own state topic, and its delivery."""
    _, topic, delivery = MODES[mode]
    with open(base) as f:
        text = f.read()
    text = text.replace(f"state_dir: {work}/state\n", f"state_dir: {work}/state-{mode}\n")
    if delivery:
        text = re.sub(r"^kafka: \{", f"kafka: {{delivery: {delivery}, ", text, flags=re.M)
    if topic:
        text = text.replace("\nsources:\n",
                            f"\nstate: {{backend: kafka, topic: {topic}, partitions: 12}}\nsources:\n")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("newsd", help="the newsd binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--posts", type=int, default=20)
    ap.add_argument("--modes", default=",".join(MODES),
                    help="comma-separated, of " + ", ".join(MODES))
    args = ap.parse_args()
    modes = args.modes.split(",")
    n, total = args.sources, args.sources * args.posts
    with bench_machine(n, prefix="newsd-modes-") as bench:
        base = os.path.join(bench.work, "base.yaml")
        pb.write_newsd_config(base, bench.work, bench.port, pb.free_port(), bench.brokers, n,
                              "1s", False)
        configs = {}
        for m in modes:
            configs[m] = os.path.join(bench.work, f"newsd-{m}.yaml")
            write_mode_config(configs[m], base, bench.work, m)
            # The first pass stores every source's ETag (the feeds are empty) and creates the
            # state topic.
            subprocess.run([args.newsd, "once", "--config", configs[m]], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        version = 1
        dump = os.path.join(bench.work, "records.tsv")
        headers = []
        per_round = {}  # name -> [(posts/s, us/post)]
        for r in range(args.rounds):
            for m in modes:
                res = measured_pass(bench, args.newsd, configs[m], n, args.posts, version)
                version += 1
                us = res["cpu_us_per_post"] or 0.0
                per_round.setdefault(m, []).append((res["posts_per_s"], us))
                print(f"round {r} {MODES[m][0]}: {res['posts_per_s']:.0f} posts/s in "
                      f"{res['seconds']:.2f} s, {us:.1f} us/post (start-up {res['startup_s']:.2f} s; "
                      f"broker {res['broker_cpu_s']:.2f} CPU-s, nginx {res['nginx_cpu_s']:.2f}; "
                      f"machine idle {res['idle_pct']:.0f} %), {res['acked']} offsets, "
                      f"exit {res['exit']}", flush=True)
                if not headers:
                    # The records of this first pass, for kcat (before any transaction
                    # markers follow them in the topic).
                    pb.dump_records(bench.brokers, "bench.newsd", dump, "-o", str(-total))
                    headers = pb.record_headers(bench.brokers, "bench.newsd")
                    pb.ensure_topic(bench.brokers, "bench.kcat")
            seconds, kcat_cpu, broker_cpu = kcat_pass(bench, "bench.kcat", dump, headers)
            per_round.setdefault("kcat", []).append((total / seconds, 1e6 * kcat_cpu / total))
            print(f"round {r} kcat ({len(headers)} headers): {total / seconds:.0f} posts/s, "
                  f"{1e6 * kcat_cpu / total:.1f} us/post (broker {broker_cpu:.2f} CPU-s)",
                  flush=True)
        print(f"\nmedians over {args.rounds} rounds, {n} sources x {args.posts} posts:")
        for name, runs in per_round.items():
            label = MODES[name][0] if name in MODES else "kcat"
            print(f"  {label:28} {statistics.median(r[0] for r in runs):8.0f} posts/s "
                  f"{statistics.median(r[1] for r in runs):7.1f} us/post")
        for ref in ("alo-sqlite", "alo-kafka"):
            if "eos" not in per_round or ref not in per_round:
                continue
            pairs = list(zip(per_round["eos"], per_round[ref]))
            cpu = [e[1] / a[1] for e, a in pairs if a[1] > 0]
            rate = [e[0] / a[0] for e, a in pairs if a[0] > 0]
            if cpu and rate:
                print(f"  exactly-once / {MODES[ref][0]}: CPU per post {statistics.median(cpu):.2f}x "
                      f"(rounds {', '.join(f'{x:.2f}' for x in cpu)}; target <= 1.20), "
                      f"posts/s {statistics.median(rate):.2f}x", flush=True)

if __name__ == "__main__":
    main()
