#!/usr/bin/python3
"""10,000 sources served by nginx on loopback: newsd against wrk and kcat in the same run.

Phases (each bounded in time; see --help):
  1. Generate N empty Atom feeds and serve them with nginx (one worker, etag on, no access
     log) on a free loopback port.
  2. wrk: conditional GETs (If-None-Match = nginx's ETag, so every answer is 304) over the
     same N URLs, at the connection count newsd uses for one host (4) and at 64.
  3. newsd run with N sources (interval 1s, host_spacing 0): once the first pass (200s) and
     a second pass are done, a measurement window of W seconds gives conditional
     requests/s, the share of 304s, CPU (process_cpu_seconds_total) and RSS.
  4. Every feed gets P new entries (N*P posts; generated beforehand into a second directory,
     then swapped in at once by renaming the symlink nginx serves them through): posts/s from the start of the swap to the last Kafka ack (end offset of
     the topic), and the enqueue-to-ack latency histogram.
  5. newsd once on the stopped daemon's state: all N conditional polls at once, timed by
     nginx's request counter: the request rate newsd sustains (phase 3 only shows what its
     1 s schedule asks for).
  6. newsd once again, after every feed got P more new entries: posts/s from the first
     request to the process's exit (all acknowledged and marked seen), with no 1 s polling
     beside it (phase 4's daemon keeps polling every source every second meanwhile).
  7. kcat produces the very same records (key + JSON value, read back from newsd's topic)
     with the same producer settings: posts/s of the reference.
Prints a JSON summary and a Markdown table. Started by bench/polling_bench.sh.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KAFKA_SCRIPT = os.path.join(ROOT, "scripts", "kafka", "kafka")


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


# -- feeds and nginx --------------------------------------------------------------------------

def feed(i, entries, version):
    items = "".join(
        f"<entry><id>urn:bench:{i}:{version}:{k}</id>"
        f"<title>Source {i} post {k} of version {version}</title>"
        f"<link href='http://bench.invalid/{i}/{version}/{k}'/>"
        f"<updated>2024-05-01T{k % 24:02d}:00:00Z</updated>"
        f"<summary>Post {k} of source {i}: a short summary of the kind feeds carry, with a "
        f"few words more so that the record has a realistic size.</summary></entry>"
        for k in range(entries))
    return (f"<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<id>urn:bench:{i}</id><title>Bench source {i}</title>"
            f"<updated>2024-05-01T00:00:00Z</updated>{items}</feed>\n")


def feed_dir(www, version):
    return os.path.join(www, f"v{version}")


def stage_feeds(www, n, entries, version):
    """Writes every feed of `version` into its own directory; publish_feeds then makes it the
    served one. Generating 10,000 files takes seconds (15 s on a loaded machine), which would
    otherwise be counted as newsd's publishing time."""
    d = feed_dir(www, version)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)  # nginx workers run as an unprivileged user
    for i in range(n):
        with open(os.path.join(d, f"{i:05d}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(i, entries, version))


def publish_feeds(www, version):
    """Every feed changes at once: www/f is a symlink to the served version's directory, and
    one rename swaps it (10,000 renames of single files took 4-8 s under load, which measured
    the filesystem rather than newsd). nginx resolves the link on every request
    (open_file_cache off, disable_symlinks off), so the next request of any feed sees the new
    version."""
    link = os.path.join(www, "f")
    tmp = os.path.join(www, ".f.next")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(f"v{version}", tmp)
    os.replace(tmp, link)


def write_feeds(www, n, entries, version):
    stage_feeds(www, n, entries, version)
    publish_feeds(www, version)


def nginx_etag(path):
    st = os.stat(path)
    return '"%x-%x"' % (int(st.st_mtime), st.st_size)


def start_nginx(work, www, port, hosts=1):
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  etag on;
  # The feeds' directory is swapped by renaming a symlink: resolve it on every request.
  open_file_cache off;
  disable_symlinks off;
  client_body_temp_path {work}/tmp;
  proxy_temp_path {work}/tmp;
  fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp;
  scgi_temp_path {work}/tmp;
  types {{ application/atom+xml xml; }}
  server {{
    {"".join(f"listen 127.0.0.{h + 1}:{port}; " for h in range(hosts))}
    root {www};
    location = /nginx_status {{ stub_status; }}
  }}
}}
""")
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    proc = subprocess.Popen(["nginx", "-p", work, "-c", conf, "-e", f"{work}/nginx-error.log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: http_status(f"http://127.0.0.1:{port}/f/00000.xml") == 200, 20, "nginx")
    return proc


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def nginx_requests(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/nginx_status", timeout=5) as r:
        text = r.read().decode()
    return int(text.splitlines()[2].split()[2])


# -- wrk --------------------------------------------------------------------------------------

def wrk_script(work, www, n):
    path = os.path.join(work, "conditional.lua")
    with open(path, "w") as f:
        # Requests are formatted in init(): at load time wrk.headers has no Host yet.
        f.write("local targets = {\n")
        for i in range(n):
            etag = nginx_etag(os.path.join(www, "f", f"{i:05d}.xml"))
            f.write(f'  {{"/f/{i:05d}.xml", {json.dumps(etag)}}},\n')
        f.write("""}
local reqs, n, i = {}, 0, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  not304 = 0
  for k, t in ipairs(targets) do
    reqs[k] = wrk.format("GET", t[1], {["If-None-Match"] = t[2]})
  end
  n = #reqs
end
function request() i = i + 1; if i > n then i = 1 end; return reqs[i] end
function response(status, headers, body) if status ~= 304 then not304 = not304 + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("not304") end
  io.write(string.format("NOT304 %d\\n", bad))
end
""")
    return path


def run_wrk(port, script, threads, conns, seconds):
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s",
                          "-s", script, f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = int(re.search(r"NOT304 (\d+)", out).group(1))
    return {"threads": threads, "connections": conns, "seconds": seconds, "requests": total,
            "requests_per_s": rps, "share_304": (total - bad) / total if total else 0.0}


# -- newsd ------------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """(samples, bytes, seconds): the parsed /metrics and what the scrape cost."""
    t = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
        body = r.read().decode()
    took = time.monotonic() - t
    samples = []
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m:
            samples.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")),
                            float(m.group(3))))
    return samples, len(body), took


def total(samples, name, **labels):
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == w for k, w in labels.items()))


def histogram(samples, name):
    """[(upper bound, cumulative count)] of an unlabelled histogram."""
    out = [(float(l["le"]), v) for n, l, v in samples if n == name + "_bucket"]
    return sorted(out)


def quantile(q, before, after):
    """histogram_quantile over the increase between two scrapes (linear within a bucket)."""
    b = dict(before)
    buckets = [(le, c - b.get(le, 0.0)) for le, c in after]
    count = buckets[-1][1] if buckets else 0
    if count <= 0:
        return None
    rank = q * count
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 0)
        prev_le, prev_c = le, c
    return prev_le


def source_host(i, hosts):
    """Source i's server: with several hosts, the sources are dealt over 127.0.0.1..N (one
    nginx listens on each), so that newsd's per-host connection cap applies per address."""
    return f"127.0.0.{1 + i % hosts}"


def write_newsd_config(path, work, port, metrics_port, brokers, n, interval, labels, hosts=1):
    with open(path, "w") as f:
        f.write(f"state_dir: {work}/state\nlog_level: warn\n"
                f"metrics: {{listen: '127.0.0.1:{metrics_port}', "
                f"per_source_labels: {'true' if labels else 'false'}}}\n"
                f"kafka: {{brokers: '{brokers}', topic: 'bench.newsd'}}\n"
                f"http: {{host_spacing: 0s, timeout: 30s, max_body: 1MiB}}\nsources:\n")
        for i in range(n):
            f.write(f"  - {{name: s{i:05d}, url: 'http://{source_host(i, hosts)}:{port}/f/{i:05d}.xml', "
                    f"format: atom, interval: {interval}}}\n")


def process_cpu(pid):
    """CPU-seconds process `pid` (all its threads) has used so far; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return None


def ensure_topic(brokers, topic):
    """Has the broker create `topic` (auto-create on a metadata request) and waits until its
    partition has a leader, so that neither newsd nor kcat is timed creating it."""
    def ready():
        out = subprocess.run(["kcat", "-b", brokers, "-L", "-J", "-t", topic, "-m", "5"],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            return False
        topics = json.loads(out.stdout).get("topics", [])
        return any(t["topic"] == topic and t.get("partitions") and
                   all(p.get("leader", -1) >= 0 for p in t["partitions"]) for t in topics)
    wait_for(ready, 60, f"topic {topic}", every=1)


def end_offset(brokers, topic):
    out = subprocess.run(["kcat", "-b", brokers, "-Q", "-t", f"{topic}:0:-1", "-m", "5"],
                         capture_output=True, text=True, timeout=30)
    m = re.search(r"\[0\] offset (-?\d+)", out.stdout)
    return int(m.group(1)) if m and out.returncode == 0 else 0


def kcat_produce(brokers, topic, dump, headers=()):
    """Produces the `key<TAB>value` lines of `dump` with newsd's producer settings (acks=all,
    idempotence, linger.ms=5), each message with the `name=value` headers given; returns the
    seconds it took."""
    t = time.monotonic()
    subprocess.run(["kcat", "-b", brokers, "-P", "-t", topic, "-K", "\t", "-l",
                    "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=5",
                    *[a for h in headers for a in ("-H", h)], dump], check=True, timeout=900)
    return time.monotonic() - t


def dump_records(brokers, topic, path, *offset):
    """Writes `key<TAB>value` lines of `topic` from kcat's consumer `offset` arguments to `path`
    (what kcat_produce reads back)."""
    with open(path, "w") as f:
        subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, *offset, "-e", "-q",
                        "-f", "%k\t%s\n"], stdout=f, check=True, timeout=600)


def record_headers(brokers, topic):
    """The `name=value` headers of one of newsd's records in `topic`. newsd's records carry six
    CloudEvents headers (DESIGN.md) and kcat can only give every message the same headers:
    these, whose names and sizes are those of every record."""
    out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-c", "1",
                          "-e", "-q", "-f", "%h"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [pair for pair in out.strip().split(",") if "=" in pair]


def start_perf(perf_dir, phase, pid, seconds):
    """perf record of newsd for one phase (stopped by stop_perf), or None."""
    if not perf_dir:
        return None
    os.makedirs(perf_dir, exist_ok=True)
    out = os.path.join(perf_dir, f"perf-{phase}.data")
    # 199 Hz: dwarf call graphs copy 8 KiB of stack per sample; keep the files and the
    # disturbance small.
    p = subprocess.Popen(["perf", "record", "-F", "199", "-g", "--call-graph", "dwarf,16384",
                          "-o", out, "-p", str(pid), "--", "sleep", str(seconds + 60)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # perf attaches before the phase starts
    return p


def stop_perf(p):
    if p is None:
        return
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()


def capacity_pass(newsd_bin, config, port, n, runs):
    """The rate newsd can sustain rather than the rate its schedule asks for: at the 1 s
    minimum interval, N sources ask for N requests/s, which a quiet machine serves with room
    to spare. After the daemon has stopped, `newsd once` on its state (every source has its
    ETag, no feed changed since) starts all N conditional polls at once; nginx's request
    counter, read every 5 ms, times them from the first request to the N-th."""
    out = []
    for _ in range(runs):
        base = nginx_requests(port)
        before = os.times()
        once = subprocess.Popen([newsd_bin, "once", "--config", config],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first = last = None
        polls = 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            polls += 1  # nginx counts our status requests too
            count = nginx_requests(port) - base - polls
            now = time.monotonic()
            if first is None and count > 0:
                first = now
            if count >= n or once.poll() is not None:
                last = now
                break
            time.sleep(0.005)
        rc = once.wait(timeout=300)
        after = os.times()
        cpu = (after.children_user - before.children_user
               + after.children_system - before.children_system)
        took = (last - first) if first is not None and last is not None else 0.0
        served = nginx_requests(port) - base - polls - 1
        out.append({"exit": rc, "requests": served, "seconds": took,
                    "requests_per_s": n / took if took > 0 and served >= n else 0.0,
                    "once_cpu_s": cpu, "cpu_us_per_request_incl_startup": 1e6 * cpu / n})
    return out


def posts_once_pass(newsd_bin, config, port, brokers, www, n, posts, version, perf_dir=None):
    # (with perf_dir, the CPU figures include perf's own)
    """Publishing capacity: every feed gets `posts` new entries (staged beforehand), then
    `newsd once` polls each source once, publishes what is new and exits once Kafka has
    acknowledged everything and the seen-store holds it. Timed from the first request nginx
    counts to the exit, so the start-up (reading the state of N sources) is left out."""
    stage_feeds(www, n, posts, version)
    publish_feeds(www, version)
    offset0 = end_offset(brokers, "bench.newsd")
    base = nginx_requests(port)
    before = os.times()
    t_start = time.monotonic()
    cmd = [newsd_bin, "once", "--config", config]
    if perf_dir:  # perf starts newsd itself: attaching would miss the first second
        os.makedirs(perf_dir, exist_ok=True)
        cmd = ["perf", "record", "-F", "199", "-g", "--call-graph", "dwarf,16384", "-o",
               os.path.join(perf_dir, f"perf-once-posts-v{version}.data"), "--"] + cmd
    once = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    startup_cpu = None  # newsd's CPU time up to its first request (config and state read)
    polls = 0
    deadline = time.monotonic() + 600
    while first is None and time.monotonic() < deadline and once.poll() is None:
        polls += 1  # nginx counts our status requests too
        if nginx_requests(port) - base - polls > 0:
            first = time.monotonic()
            startup_cpu = process_cpu(once.pid)
            break
        time.sleep(0.005)
    rc = once.wait(timeout=600)
    t_end = time.monotonic()
    after = os.times()
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    acked = end_offset(brokers, "bench.newsd") - offset0
    total_posts = n * posts
    took = t_end - (first or t_start)
    window_cpu = cpu - startup_cpu if startup_cpu is not None and not perf_dir else None
    return {"exit": rc, "posts": total_posts, "acked": acked, "startup_s": (first or t_start) - t_start,
            "seconds": took, "posts_per_s": total_posts / took if acked >= total_posts else 0.0,
            "once_cpu_s": cpu, "cpu_us_per_post_incl_startup": 1e6 * cpu / total_posts,
            "window_cpu_s": window_cpu,
            "cpu_us_per_post": 1e6 * window_cpu / total_posts if window_cpu is not None else None}


# -- the run ----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--newsd", required=True)
    ap.add_argument("--sources", type=int, default=10000)
    ap.add_argument("--posts", type=int, default=20, help="new posts per source in phase 4")
    ap.add_argument("--interval", default="1s", help="every source's interval")
    ap.add_argument("--window", type=int, default=20, help="seconds of the 304 measurement")
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--hosts", type=int, default=1, choices=range(1, 255), metavar="1..254",
                    help="deal the sources over this many loopback addresses (a per-host "
                         "connection cap of 4 each); wrk's 64 connections are the reference "
                         "for more than one")
    ap.add_argument("--capacity-runs", type=int, default=3,
                    help="`newsd once` passes that measure the conditional request capacity")
    ap.add_argument("--posts-once-runs", type=int, default=2,
                    help="`newsd once` passes that measure the publishing capacity, each with "
                         "--posts new entries per feed")
    ap.add_argument("--publish-timeout", type=int, default=900)
    ap.add_argument("--workdir", default=None, help="keep files here (default: a temp dir)")
    ap.add_argument("--json", default=None, help="write the summary here too")
    ap.add_argument("--per-source-labels", choices=["true", "false"], default="true",
                    help="newsd's metrics.per_source_labels")
    ap.add_argument("--perf-dir", default=None,
                    help="record `perf record -g --call-graph dwarf` of newsd during the "
                         "measurement window and the publishing phase into this directory")
    args = ap.parse_args()
    # A SIGTERM (e.g. from `timeout`) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = args.workdir or tempfile.mkdtemp(prefix="newsd-bench-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    www = os.path.join(work, "www")
    n = args.sources
    res = {"sources": n, "hosts": args.hosts, "posts_per_source": args.posts,
           "interval": args.interval,
           "nproc": os.cpu_count(),
           "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                        if l.startswith("model name")), "?")}
    procs = []
    kafka_dir = os.path.join(work, "kafka")
    try:
        log(f"generating {n} feeds in {www}")
        os.makedirs(www, exist_ok=True)
        os.chmod(www, 0o755)
        write_feeds(www, n, 0, 0)
        port = free_port()
        nginx = start_nginx(work, www, port, args.hosts)
        procs.append(nginx)

        log("wrk: conditional GETs")
        script = wrk_script(work, www, n)
        res["wrk_c4"] = run_wrk(port, script, 1, 4, args.wrk_seconds)
        res["wrk_c64"] = run_wrk(port, script, 2, 64, args.wrk_seconds)
        log(f"wrk: {res['wrk_c4']['requests_per_s']:.0f}/s at 4 connections, "
            f"{res['wrk_c64']['requests_per_s']:.0f}/s at 64")

        log("starting Kafka")
        brokers = subprocess.run([KAFKA_SCRIPT, "start", kafka_dir], check=True,
                                 capture_output=True, text=True, timeout=180).stdout.split()[-1]

        ensure_topic(brokers, "bench.newsd")
        ensure_topic(brokers, "bench.kcat")
        ensure_topic(brokers, "bench.kcat_headers")
        metrics_port = free_port()
        config = os.path.join(work, "newsd.yaml")
        write_newsd_config(config, work, port, metrics_port, brokers, n, args.interval,
                           args.per_source_labels == "true", args.hosts)
        nlog = open(os.path.join(work, "newsd.log"), "w")
        t_start = time.monotonic()
        newsd = subprocess.Popen([args.newsd, "run", "--config", config], stdout=nlog,
                                 stderr=subprocess.STDOUT)
        procs.append(newsd)
        def healthy():
            if newsd.poll() is not None:
                raise RuntimeError(f"newsd exited {newsd.returncode}; see {work}/newsd.log")
            return http_status(f"http://127.0.0.1:{metrics_port}/healthz") == 200
        wait_for(healthy, 60, "newsd /healthz")
        rss_max = 0

        def sample():
            nonlocal rss_max
            s, size, took = scrape(metrics_port)
            rss_max = max(rss_max, total(s, "process_resident_memory_bytes"))
            return s, size, took

        log("newsd: first pass (200s) and a second one (304s)")
        # Bounded: at most 300 s, a scrape every 5 s (a scrape of 10,000 sources is not free).
        wait_for(lambda: total(sample()[0], "newsd_fetches_total") >= 2 * n, 300,
                 "two passes over every source", every=5)
        res["first_two_passes_s"] = time.monotonic() - t_start

        perf = start_perf(args.perf_dir, "window", newsd.pid, args.window)
        # newsd's counters are read when a scrape starts, not when its (13 MB, with per-source
        # labels) answer has been parsed here: the window runs from one scrape's start to the
        # next's, with nginx's count read just before each.
        ng0 = nginx_requests(port)
        c0 = time.monotonic()
        s0, size, took = sample()
        time.sleep(max(0.0, args.window - (time.monotonic() - c0)))  # the measurement window
        ng1 = nginx_requests(port)
        c1 = time.monotonic()
        s1, _, _ = sample()
        stop_perf(perf)
        dt = c1 - c0
        fetches = total(s1, "newsd_fetches_total") - total(s0, "newsd_fetches_total")
        n304 = (total(s1, "newsd_fetches_total", outcome="not_modified")
                - total(s0, "newsd_fetches_total", outcome="not_modified"))
        cpu = total(s1, "process_cpu_seconds_total") - total(s0, "process_cpu_seconds_total")
        res["newsd_conditional"] = {
            "window_s": dt, "requests": fetches, "requests_per_s": fetches / dt,
            "nginx_requests_per_s": (ng1 - ng0) / dt, "share_304": n304 / fetches if fetches else 0,
            "cpu_cores": cpu / dt, "cpu_us_per_request": 1e6 * cpu / fetches if fetches else None,
            "metrics_bytes": size, "metrics_scrape_s": took,
            "failures": fetches - n304 - ((total(s1, "newsd_fetches_total", outcome="200"))
                                          - total(s0, "newsd_fetches_total", outcome="200")),
        }
        log(f"newsd: {fetches / dt:.0f} conditional requests/s, {100 * n304 / max(fetches, 1):.2f}% "
            f"304, {cpu / dt:.2f} cores")

        log(f"publishing: {args.posts} new posts in each of {n} feeds")
        posts = n * args.posts
        stage_feeds(www, n, args.posts, 1)
        perf = start_perf(args.perf_dir, "publish", newsd.pid, args.publish_timeout)
        s1, _, _ = sample()  # CPU spent while the feeds were staged is not publishing's
        lat0 = histogram(s1, "newsd_kafka_ack_latency_seconds")
        cpu_p0 = total(s1, "process_cpu_seconds_total")
        t_rewrite = time.monotonic()
        publish_feeds(www, 1)
        t_written = time.monotonic()
        # Bounded: --publish-timeout seconds, an offset query every 0.2 s (at every second, the
        # polling alone could add up to 1 s to a phase that now takes a few).
        wait_for(lambda: end_offset(brokers, "bench.newsd") >= posts, args.publish_timeout,
                 f"{posts} acknowledged posts", every=0.2)
        t_done = time.monotonic()
        stop_perf(perf)
        s2, _, _ = sample()
        lat1 = histogram(s2, "newsd_kafka_ack_latency_seconds")
        res["newsd_publish"] = {
            "posts": posts, "rewrite_s": t_written - t_rewrite,
            "seconds_from_rewrite": t_done - t_rewrite,
            "seconds_from_rewrite_end": t_done - t_written,
            "posts_per_s": posts / (t_done - t_rewrite),
            "produced_total": total(s2, "newsd_kafka_messages_produced_total"),
            "delivery_errors": total(s2, "newsd_kafka_delivery_errors_total"),
            "queue_full": total(s2, "newsd_kafka_enqueue_failures_total", reason="queue_full"),
            "ack_latency_p50_s": quantile(0.5, lat0, lat1),
            "ack_latency_p99_s": quantile(0.99, lat0, lat1),
            "cpu_s": total(s2, "process_cpu_seconds_total") - cpu_p0,
        }
        res["newsd_rss_peak_bytes"] = proc_status(newsd.pid, "VmHWM")
        res["newsd_rss_max_scraped_bytes"] = rss_max
        log(f"newsd: {posts / (t_done - t_rewrite):.0f} posts/s; peak RSS "
            f"{res['newsd_rss_peak_bytes'] / 2**20:.1f} MiB")
        newsd.send_signal(signal.SIGTERM)
        newsd.wait(timeout=60)
        procs.remove(newsd)

        log("newsd once: conditional requests at capacity")
        res["newsd_capacity"] = capacity_pass(args.newsd, config, port, n, args.capacity_runs)
        best = max(r["requests_per_s"] for r in res["newsd_capacity"])
        log(f"newsd once: {best:.0f} conditional requests/s at capacity (best of "
            f"{args.capacity_runs})")

        res["newsd_once_posts"] = []
        for r in range(args.posts_once_runs):
            one = posts_once_pass(args.newsd, config, port, brokers, www, n, args.posts, 2 + r,
                                  args.perf_dir)
            res["newsd_once_posts"].append(one)
            window = (f", {one['cpu_us_per_post']:.1f} us of CPU per post after start-up"
                      if one["cpu_us_per_post"] is not None else "")
            log(f"newsd once: {one['posts_per_s']:.0f} posts/s ({one['acked']} acknowledged, "
                f"{one['once_cpu_s']:.1f} CPU-s, start-up {one['startup_s']:.1f} s{window})")

        log("kcat: producing the same records")
        dump = os.path.join(work, "records.tsv")
        dump_records(brokers, "bench.newsd", dump, "-o", "beginning", "-c", str(posts))
        lines = sum(1 for _ in open(dump))
        took = kcat_produce(brokers, "bench.kcat", dump)
        res["kcat_publish"] = {"posts": lines, "seconds": took, "posts_per_s": lines / took,
                               "acked": end_offset(brokers, "bench.kcat")}
        log(f"kcat: {lines / took:.0f} posts/s")
        headers = record_headers(brokers, "bench.newsd")
        took = kcat_produce(brokers, "bench.kcat_headers", dump, headers)
        res["kcat_publish_headers"] = {"posts": lines, "seconds": took,
                                       "posts_per_s": lines / took,
                                       "headers": len(headers),
                                       "acked": end_offset(brokers, "bench.kcat_headers")}
        log(f"kcat with newsd's {len(headers)} headers: {lines / took:.0f} posts/s")

        w4 = res["wrk_c4"]["requests_per_s"]
        w64 = res["wrk_c64"]["requests_per_s"]
        nc = res["newsd_conditional"]["requests_per_s"]
        cap = max(r["requests_per_s"] for r in res["newsd_capacity"])
        res["ratios"] = {"conditional_vs_wrk_c4": nc / w4, "conditional_vs_wrk_c64": nc / w64,
                         "capacity_vs_wrk_c4": cap / w4, "capacity_vs_wrk_c64": cap / w64,
                         "posts_once_vs_kcat":
                             max([o["posts_per_s"] for o in res["newsd_once_posts"]] or [0.0])
                             / res["kcat_publish"]["posts_per_s"],
                         "posts_vs_kcat": res["newsd_publish"]["posts_per_s"]
                         / res["kcat_publish"]["posts_per_s"],
                         "posts_once_vs_kcat_headers":
                             max([o["posts_per_s"] for o in res["newsd_once_posts"]] or [0.0])
                             / res["kcat_publish_headers"]["posts_per_s"]}
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run([KAFKA_SCRIPT, "stop", kafka_dir], timeout=60, check=False)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
