"""Soak: 1,000 sources with posts arriving all along, newsd into a real broker; RSS sampled.

Usage: soak.py DURATION_SECONDS. Prints RSS (VmRSS) at start-up, after the first full pass,
and every minute, then the peak (VmHWM) and the totals. Bounded in time; loopback only.
"""
import os
import sys
import tempfile
import time

from harness import Daemon, Kafka, free_port, http_get
from news_site import NewsSite


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def main():
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 3600
    sources = 1000
    # One new post per source every 30 s, for the whole run.
    posts = int(duration / 30) + 1
    site = NewsSite(sources=sources, posts=posts, arrival=duration)
    kafka = Kafka()
    kafka.start()
    tmp = tempfile.mkdtemp(prefix="newsd-soak-")
    port = free_port()
    config = os.path.join(tmp, "newsd.yaml")
    with open(config, "w") as f:
        f.write(f"state_dir: {tmp}/state\nlog_level: warn\nmetrics: {{listen: '127.0.0.1:{port}'}}\n"
                f"kafka: {{brokers: '{kafka.bootstrap}', topic: soak}}\n"
                "http: {host_spacing: 0s}\nsources:\n")
        for i in range(sources):
            f.write(f"  - {{name: s{i}, url: '{site.url(i)}', format: atom, interval: 30s}}\n")
    d = Daemon(config)
    try:
        time.sleep(2)
        start_rss = rss_kib(d.proc.pid)
        print(f"t=0s rss={start_rss} KiB", flush=True)
        t0 = time.monotonic()
        while time.monotonic() - t0 < duration:
            time.sleep(min(60, duration - (time.monotonic() - t0)))
            if d.proc.poll() is not None:
                raise SystemExit("newsd exited during the soak:\n" + d.output()[-3000:])
            print(f"t={int(time.monotonic() - t0)}s rss={rss_kib(d.proc.pid)} KiB", flush=True)
        end_rss, peak = rss_kib(d.proc.pid), rss_kib(d.proc.pid, "VmHWM")
        metrics = http_get(f"http://127.0.0.1:{port}/metrics")[1]
        produced = sum(float(l.split()[-1]) for l in metrics.splitlines()
                       if l.startswith("newsd_kafka_messages_produced_total{"))
        fetches = sum(float(l.split()[-1]) for l in metrics.splitlines()
                      if l.startswith("newsd_fetches_total{"))
        print(f"soak: {sources} sources, {duration:.0f}s: rss start {start_rss} KiB, end {end_rss} KiB, "
              f"peak {peak} KiB; {fetches:.0f} fetches, {produced:.0f} posts acknowledged")
    finally:
        print("newsd exit code:", d.stop())
        kafka.cleanup()
        site.close()


if __name__ == "__main__":
    main()
