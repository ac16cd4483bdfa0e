#!/usr/bin/env python3
"""The operator's view at scale: newsd with N sources (default 10,000), half answering a small
feed from a loopback server and half refusing connections (failing, with an error each), is
asked for its status API, its /sources page and, as the reference in the same run, /metrics.
Per endpoint: the median and worst time of sequential requests (curl's time_total) and the
size of the answer, and the daemon's resident memory before and after. Prints JSON.

    bench/status_bench.py [--newsd build/daemon/app/newsd] [--sources 10000] [--requests 15]

Needs no Kafka (nothing is delivered: the feed has no entries). BENCHMARKS.md, "The status
API and page at 10,000 sources", reads its figures.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY_FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
              b'<link>http://example.invalid/</link><description>d</description>'
              b'</channel></rss>')


class Feed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(EMPTY_FEED)))
        self.end_headers()
        self.wfile.write(EMPTY_FEED)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(url, requests):
    times, size = [], 0
    for _ in range(requests):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                              "%{http_code} %{time_total} %{size_download}", url],
                             capture_output=True, text=True, check=True)
        code, t, n = out.stdout.split()
        assert code == "200", f"{url} answered {code}"
        times.append(float(t) * 1000)
        size = int(n)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2),
            "bytes": size}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--newsd", default=os.environ.get("NEWSD_BIN", "build/daemon/app/newsd"))
    ap.add_argument("--sources", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=15)
    args = ap.parse_args()

    site = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    ok_base = f"http://127.0.0.1:{site.server_address[1]}/feed"
    closed = free_port()  # nothing listens: connection refused
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="newsd-status-bench-") as tmp:
        config = os.path.join(tmp, "newsd.yaml")
        with open(config, "w") as f:
            f.write(f"state_dir: {tmp}/state\nlog_level: warn\n"
                    f"metrics: {{listen: '127.0.0.1:{port}'}}\n"
                    f"kafka: {{brokers: '127.0.0.1:{free_port()}'}}\n"
                    "http: {host_spacing: 0ms, timeout: 5s}\nsources:\n")
            for i in range(args.sources):
                url = (f"{ok_base}/{i}" if i % 2 == 0
                       else f"http://127.0.0.1:{closed}/feed/{i}")
                f.write(f"  - {{name: source-{i:05d}, url: '{url}', format: rss, "
                        f"interval: 30m}}\n")
        daemon = subprocess.Popen([args.newsd, "run", "--config", config],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            api = f"http://127.0.0.1:{port}/api/v1/sources"
            deadline = time.monotonic() + 600
            while True:
                try:
                    with urllib.request.urlopen(api + "?state=ok&limit=1", timeout=10) as r:
                        ok = json.loads(r.read())
                    with urllib.request.urlopen(api + "?limit=10000", timeout=30) as r:
                        doc = json.loads(r.read())
                    polled = sum(1 for s in doc["sources"] if s["last_poll"])
                    if polled == args.sources:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("status_bench: sources not all polled in 600 s")
                time.sleep(1)
            rss_before = rss_kib(daemon.pid)
            base = f"http://127.0.0.1:{port}"
            endpoints = {
                "/metrics (reference)": "/metrics",
                "/api/v1/sources?limit=10000": "/api/v1/sources?limit=10000",
                "/api/v1/sources (100)": "/api/v1/sources",
                "/api/v1/sources?state=failing&limit=10000":
                    "/api/v1/sources?state=failing&limit=10000",
                "/sources?limit=10000": "/sources?limit=10000",
                "/sources (500)": "/sources",
                "/api/v1/sources/source-00001": "/api/v1/sources/source-00001",
            }
            results = {name: measure(base + path, args.requests)
                       for name, path in endpoints.items()}
            ref = results["/metrics (reference)"]["median_ms"]
            for r in results.values():
                r["vs_metrics"] = round(r["median_ms"] / ref, 2) if ref else None
            print(json.dumps({"sources": args.sources, "counts": doc["counts"],
                              "rss_kib_before": rss_before,
                              "rss_kib_after": rss_kib(daemon.pid),
                              "endpoints": results}, indent=2))
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
            site.shutdown()


if __name__ == "__main__":
    main()
