#!/usr/bin/python3
"""Alternates newsd binaries on the polling bench's publishing pass (phase 5 of
polling_bench.py): N Atom feeds served by nginx on loopback, a real single-node Kafka broker,
and `newsd once` publishing 20 new posts per feed, binary after binary, round after round, so
that each comparison is made in the same minutes of a noisy machine.

    bench/once_alternate.py BIN[,BIN...] [--rounds 2] [--sources 10000] [--capacity [--wrk]] [--kcat]

A BIN may be a wrapper script (e.g. `exec valgrind --tool=callgrind ... newsd "$@"` for
deterministic instruction counts, with --sources 1000). --capacity times the conditional
pass instead (every feed unchanged, all polls at once). --kcat produces the first pass's
records with kcat after every round, plain and with newsd's six headers, so that every ratio
is taken within the same minute; the medians over the rounds end the output. --wrk does the
same for --capacity: wrk's conditional GETs at 4 connections (one host's cap), 5 s a round.
--hosts N deals the feeds over N loopback addresses (4 connections each).

Each publishing pass also reports the CPU time the broker and nginx spent during it and the
share of the machine left idle, and each kcat run its own and the broker's CPU time: a pass
can be slow for want of CPU or for want of work, and these tell which."""
import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import polling_bench as pb  # noqa: E402


def tree_cpu(root):
    """CPU-seconds used so far by process `root` and its children (nginx's master and
    worker; the broker's java), so that each pass can say what the rest of the machine spent
    on it."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(pid) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_times():
    """Jiffies of the whole machine from /proc/stat: (busy, idle, steal), where busy is
    user + nice + system + irq + softirq and idle includes iowait."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4], v[7])


@contextlib.contextmanager
def bench_machine(n, hosts=1, prefix="newsd-once-"):
    """N empty Atom feeds served by nginx on loopback and a single-node broker of its own with
    the bench.newsd topic ready; both stopped and every file removed at the end."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    www = os.path.join(work, "www")
    os.makedirs(www)
    os.chmod(www, 0o755)
    pb.write_feeds(www, n, 0, 0)
    port = pb.free_port()
    nginx = pb.start_nginx(work, www, port, hosts)
    kafka_dir = os.path.join(work, "kafka")
    try:
        brokers = subprocess.run([pb.KAFKA_SCRIPT, "start", kafka_dir], check=True,
                                 capture_output=True, text=True, timeout=180).stdout.split()[-1]
        with open(os.path.join(kafka_dir, "pid")) as f:
            broker_pid = int(f.read())
        pb.ensure_topic(brokers, "bench.newsd")
        yield types.SimpleNamespace(work=work, www=www, port=port, nginx=nginx,
                                    brokers=brokers, broker_pid=broker_pid)
    finally:
        subprocess.run([pb.KAFKA_SCRIPT, "stop", kafka_dir], capture_output=True, timeout=120)
        nginx.terminate()
        nginx.wait(timeout=30)
        subprocess.run(["rm", "-rf", work])


def measured_pass(bench, newsd_bin, config, n, posts, version):
    """pb.posts_once_pass, plus the CPU time the broker and nginx spent during it and the share
    of the machine left idle (and stolen), in percent."""
    others = (tree_cpu(bench.broker_pid), tree_cpu(bench.nginx.pid))
    m0 = machine_times()
    res = pb.posts_once_pass(newsd_bin, config, bench.port, bench.brokers, bench.www, n, posts,
                             version)
    res["broker_cpu_s"] = tree_cpu(bench.broker_pid) - others[0]
    res["nginx_cpu_s"] = tree_cpu(bench.nginx.pid) - others[1]
    busy, idle, steal = (b1 - b0 for b0, b1 in zip(m0, machine_times()))
    total = max(1, busy + idle + steal)
    res["idle_pct"], res["steal_pct"] = 100 * idle / total, 100 * steal / total
    return res


def kcat_pass(bench, topic, dump, headers):
    """kcat producing the `key<TAB>value` lines of `dump` into `topic`: (seconds, kcat's
    CPU-s, the broker's CPU-s meanwhile)."""
    broker0, t0 = tree_cpu(bench.broker_pid), os.times()
    seconds = pb.kcat_produce(bench.brokers, topic, dump, headers)
    t1 = os.times()
    kcat_cpu = t1.children_user - t0.children_user + t1.children_system - t0.children_system
    return seconds, kcat_cpu, tree_cpu(bench.broker_pid) - broker0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bins", help="comma-separated newsd binaries or wrappers")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sources", type=int, default=10000)
    ap.add_argument("--posts", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=1, choices=range(1, 255), metavar="1..254",
                    help="deal the sources over this many loopback addresses (4 connections each)")
    ap.add_argument("--capacity", action="store_true")
    ap.add_argument("--kcat", action="store_true")
    ap.add_argument("--wrk", action="store_true")
    args = ap.parse_args()
    bins = args.bins.split(",")
    n = args.sources
    with bench_machine(n, args.hosts) as bench:
        brokers, port, www, work = bench.brokers, bench.port, bench.www, bench.work
        config = os.path.join(work, "newsd.yaml")
        pb.write_newsd_config(config, work, port, pb.free_port(), brokers, n, "1s", False, args.hosts)
        # The first pass stores every source's ETag (the feeds are empty).
        subprocess.run([bins[0], "once", "--config", config], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        version = 1
        dump = os.path.join(work, "records.tsv")
        headers = []
        ratios = {}  # (binary, reference) -> per-round ratios
        for r in range(args.rounds):
            rates = {}
            for b in bins:
                if args.capacity:
                    res = pb.capacity_pass(b, config, port, n, args.hosts)[0]
                    rates[b] = res["requests_per_s"]
                    print(f"round {r} {b}: {res['requests_per_s']:.0f} requests/s, "
                          f"{res['once_cpu_s']:.2f} CPU-s", flush=True)
                    continue
                res = measured_pass(bench, b, config, n, args.posts, version)
                version += 1
                rates[b] = res["posts_per_s"]
                # Start-up is read from the process the bench started: for a wrapper that runs
                # newsd as its child (perf record), the window holds start-up as well.
                window = (f", {res['window_cpu_s']:.2f} after the first request = "
                          f"{res['cpu_us_per_post']:.1f} us/post"
                          if res.get("window_cpu_s") is not None else "")
                print(f"round {r} {b}: {res['posts_per_s']:.0f} posts/s in {res['seconds']:.2f} s, "
                      f"{res['once_cpu_s']:.2f} CPU-s{window} (broker {res['broker_cpu_s']:.2f}, nginx "
                      f"{res['nginx_cpu_s']:.2f}; machine idle {res['idle_pct']:.0f} %, steal "
                      f"{res['steal_pct']:.0f} %), "
                      f"{res['acked']} acknowledged, exit {res['exit']}",
                      flush=True)
            if args.capacity and args.wrk:
                if r == 0:
                    script = pb.wrk_script(work, www, n)
                rate = pb.run_wrk(port, script, 1, 4, 5)["requests_per_s"]
                print(f"round {r} wrk (4 connections): {rate:.0f} requests/s; "
                      + ", ".join(f"{b} {rates[b] / rate:.2f}x" for b in bins), flush=True)
                for b in bins:
                    ratios.setdefault((b, "wrk"), []).append(rates[b] / rate)
            if not args.kcat or args.capacity:
                continue
            if r == 0:
                pb.dump_records(brokers, "bench.newsd", dump, "-o", str(-n * args.posts))
                headers = pb.record_headers(brokers, "bench.newsd")
                pb.ensure_topic(brokers, "bench.kcat")
            for ref, hdrs in (("kcat", ()), (f"kcat+{len(headers)} headers", headers)):
                seconds, kcat_cpu, broker_cpu = kcat_pass(bench, "bench.kcat", dump, hdrs)
                rate = n * args.posts / seconds
                print(f"round {r} {ref}: {rate:.0f} posts/s, {kcat_cpu:.2f} CPU-s "
                      f"(broker {broker_cpu:.2f}); "
                      + ", ".join(f"{b} {rates[b] / rate:.2f}x" for b in bins), flush=True)
                for b in bins:
                    ratios.setdefault((b, ref), []).append(rates[b] / rate)
        for (b, ref), rs in ratios.items():
            print(f"median over {len(rs)} rounds, {b} against {ref}: {statistics.median(rs):.2f}x "
                  f"(range {min(rs):.2f}-{max(rs):.2f})", flush=True)


if __name__ == "__main__":
    main()
