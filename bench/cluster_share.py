#!/usr/bin/python3
"""Sizing several instances (issue 21): N Atom feeds served by nginx on loopback and a real
single-node Kafka broker; the same N sources polled (every answer a 304) by

    single       one `newsd run` without `cluster:` (the reference)
    cluster xK   K instances with `cluster:` sharing the sources through the consumer group

    bench/cluster_share.py build/daemon/app/newsd [--sources 3000] [--interval 1s]
                           [--instances 1,2,3] [--window 20] [--rounds 2]

Each setup starts fresh instances, waits until the group split the state topic's 12
partitions between them and every source was polled, then measures a window of W seconds:
conditional requests/s (newsd_fetches_total), CPU per instance (/proc) and CPU per request.
Setups alternate within each round so that comparisons are made in the same minutes of a
noisy machine. The medians end the output, with CPU per request against the single
instance's: what a `cluster:` section costs, and how many sources one instance can take
(cores x interval / CPU per request)."""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import polling_bench as pb  # noqa: E402
from once_alternate import bench_machine  # noqa: E402

PARTITIONS = 12


def write_config(path, base, work, name, metrics_port, cluster):
    with open(base) as f:
        text = f.read()
    text = text.replace(f"state_dir: {work}/state\n", f"state_dir: {work}/state-{name}\n")
    text = re.sub(r"^metrics: .*$", f"metrics: {{listen: '127.0.0.1:{metrics_port}', "
                  "per_source_labels: false}", text, count=1, flags=re.M)
    extra = f"state: {{backend: kafka, topic: bench.cstate, partitions: {PARTITIONS}}}\n"
    if cluster:
        extra += f"cluster: {{group: bench, instance: {name}, session_timeout: 6s}}\n"
    text = text.replace("\nsources:\n", "\n" + extra + "sources:\n")
    with open(path, "w") as f:
        f.write(text)


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return r.status, r.read().decode()
    except Exception:  # noqa: BLE001 — not answering yet is the usual case
        return None, ""


def owned_partitions(body):
    m = re.search(r"cluster: (\d+) partitions", body)
    return int(m.group(1)) if m else None


def fetches(port):
    return pb.total(pb.scrape(port)[0], "newsd_fetches_total") or 0.0


def measure(args, bench, base, k, round_no):
    """Starts k instances (k = 0: the single one without cluster:), measures, stops them."""
    procs = []
    names = ["single"] if k == 0 else [f"i{j}" for j in range(k)]
    for name in names:
        port = pb.free_port()
        path = os.path.join(bench.work, f"{name}-{round_no}.yaml")
        write_config(path, base, bench.work, f"{name}-{round_no}", port, k > 0)
        log = open(os.path.join(bench.work, f"{name}-{round_no}.log"), "w")
        procs.append((subprocess.Popen([args.newsd, "run", "--config", path], stdout=log,
                                       stderr=subprocess.STDOUT), port, log))
    try:
        def settled():
            answers = [readyz(port) for _, port, _ in procs]
            if any(status != 200 for status, _ in answers):
                return False
            if k == 0:
                return True
            owned = [owned_partitions(body) for _, body in answers]
            return None not in owned and sum(owned) == PARTITIONS
        pb.wait_for(settled, 300, f"{len(procs)} instance(s) ready")
        # Every source polled at least once (the first pass stores the ETags), then one more
        # interval so that the window sees the steady 304 schedule.
        pb.wait_for(lambda: sum(fetches(port) for _, port, _ in procs) >= args.sources, 300,
                    "a first pass")
        time.sleep(2 * args.interval_s)
        f0 = [fetches(port) for _, port, _ in procs]
        c0 = [pb.process_cpu(p.pid) for p, _, _ in procs]
        t0 = time.monotonic()
        time.sleep(args.window)
        seconds = time.monotonic() - t0
        f1 = [fetches(port) for _, port, _ in procs]
        c1 = [pb.process_cpu(p.pid) for p, _, _ in procs]
        requests = sum(b - a for a, b in zip(f0, f1))
        cpu = [b - a for a, b in zip(c0, c1)]
        return {"rps": requests / seconds, "cores": [c / seconds for c in cpu],
                "us_per_request": 1e6 * sum(cpu) / max(1.0, requests),
                "share": [round(b - a) for a, b in zip(f0, f1)]}
    finally:
        for p, _, log in procs:
            p.send_signal(signal.SIGTERM)
        for p, _, log in procs:
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
            log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("newsd", help="the newsd binary")
    ap.add_argument("--sources", type=int, default=3000)
    ap.add_argument("--interval", default="1s", help="every source's interval (e.g. 1s, 5s)")
    ap.add_argument("--instances", default="1,2,3", help="cluster sizes to measure")
    ap.add_argument("--window", type=float, default=20.0, help="seconds measured per setup")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    args.interval_s = float(args.interval.rstrip("s"))
    sizes = [0] + [int(x) for x in args.instances.split(",")]
    with bench_machine(args.sources, prefix="newsd-cluster-share-") as bench:
        base = os.path.join(bench.work, "base.yaml")
        pb.write_newsd_config(base, bench.work, bench.port, pb.free_port(), bench.brokers,
                              args.sources, args.interval, False)
        results = {k: [] for k in sizes}
        for r in range(args.rounds):
            for k in sizes:
                res = measure(args, bench, base, k, r)
                results[k].append(res)
                label = "single (no cluster:)" if k == 0 else f"cluster x{k}"
                print(f"round {r} {label}: {res['rps']:.0f} requests/s, "
                      f"{res['us_per_request']:.1f} us CPU per request, cores per instance "
                      f"{', '.join(f'{c:.2f}' for c in res['cores'])}, requests per instance "
                      f"{', '.join(map(str, res['share']))}", flush=True)
        print(f"\nmedians over {args.rounds} rounds, {args.sources} sources every "
              f"{args.interval}:")
        ref = statistics.median(x["us_per_request"] for x in results[0])
        for k in sizes:
            us = statistics.median(x["us_per_request"] for x in results[k])
            cores = statistics.median(max(x["cores"]) for x in results[k])
            rps = statistics.median(x["rps"] for x in results[k])
            label = "single (no cluster:)" if k == 0 else f"cluster x{k}"
            print(f"  {label:22} {rps:7.0f} requests/s  {us:6.1f} us/request "
                  f"({us / ref:.2f}x single)  busiest instance {cores:.2f} cores  "
                  f"=> one core polls {1e6 * args.interval_s / us:,.0f} sources every "
                  f"{args.interval}", flush=True)


if __name__ == "__main__":
    main()
