"""Real parts for integration tests: the project's Kafka broker, a loopback HTTP site, newsd.

No mocks: the broker is Apache Kafka started by scripts/kafka/kafka, records are read back
with kcat, and every wait is a condition polled against a deadline.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

SOURCE_DIR = os.environ.get(
    "NEWSD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
NEWSD_BIN = os.environ.get("NEWSD_BIN", os.path.join(SOURCE_DIR, "build", "daemon", "app", "newsd"))
KAFKA_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "kafka", "kafka")
SCHEMA_PATH = os.path.join(SOURCE_DIR, "schema", "newsd.post.v1.schema.json")
SAMPLE_SITE = os.path.join(SOURCE_DIR, "seeds", "sample-site")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class Kafka:
    """A single-node KRaft broker in its own temporary directory."""

    def __init__(self):
        self.dir = None  # made by the first start(): a module may create one and never start it
        self.bootstrap = None

    def start(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="newsd-kafka-")
        out = subprocess.run([KAFKA_SCRIPT, "start", self.dir], check=True, capture_output=True,
                             text=True, timeout=180)
        self.bootstrap = out.stdout.strip().splitlines()[-1]
        return self.bootstrap

    def stop(self):
        if self.dir is not None:
            subprocess.run([KAFKA_SCRIPT, "stop", self.dir], check=False, timeout=60)

    def cleanup(self):
        self.stop()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def end_offsets(self, topic):
        """{partition: end offset} of `topic`; {} when it does not exist (yet)."""
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-J", "-t", topic, "-m", "10"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            return {}
        parts = [p["partition"] for t in json.loads(out.stdout).get("topics", [])
                 if t.get("topic") == topic for p in t.get("partitions") or []]
        if not parts:
            return {}
        args = [a for p in parts for a in ("-t", f"{topic}:{p}:-1")]
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-Q", *args, "-m", "10"],
                             capture_output=True, text=True, timeout=60)
        return {int(p): int(o) for p, o in re.findall(r"\[(\d+)\] offset (-?\d+)", out.stdout)}

    def consume(self, topic, raw=False, committed=False):
        """Every message of `topic` as dicts with key, headers (dict), value (parsed JSON): at
        least those there when called. Reading stops after that many (-c) as well as at the end
        (-e): a topic that grows faster than kcat reads (a daemon re-publishing while its state
        directory is full) has no end to reach. `raw`: values as text, not parsed (dead
        letters). `committed`: with isolation.level=read_committed, as exactly-once consumers
        read (only committed transactions; the end offsets then count markers too)."""
        total = sum(max(0, o) for o in self.end_offsets(topic).values())
        isolation = ["-X", "isolation.level=read_committed"] if committed else []
        out = subprocess.run(
            ["kcat", "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J",
             "-q", "-m", "10", *isolation, *(["-c", str(total)] if total > 0 else [])],
            capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            if "Unknown topic" in out.stderr or "UNKNOWN_TOPIC" in out.stderr:
                return []
            raise AssertionError(f"kcat failed on {topic}: {out.stderr}")
        records = []
        for line in out.stdout.splitlines():
            m = json.loads(line)
            h = m.get("headers") or []
            records.append({
                "topic": m["topic"], "offset": m["offset"], "key": m["key"],
                "headers": dict(zip(h[0::2], h[1::2])),
                "value": m["payload"] if raw else json.loads(m["payload"]),
            })
        return records

    def topics(self):
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-J"], capture_output=True,
                             text=True, timeout=60, check=True)
        return sorted(t["topic"] for t in json.loads(out.stdout)["topics"]
                      if not t["topic"].startswith("__"))


class KafkaCluster(Kafka):
    """Three KRaft nodes (each broker and controller) in one temporary directory: replication
    factor 3 and min.insync.replicas=2 by default, so one node may be down. Nodes are 1, 2, 3
    (their node.id)."""

    def start(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="newsd-kafka-cluster-")
        out = subprocess.run([KAFKA_SCRIPT, "cluster", "start", self.dir], check=True,
                             capture_output=True, text=True, timeout=300)
        self.bootstrap = out.stdout.strip().splitlines()[-1]
        return self.bootstrap

    def stop(self):
        if self.dir is not None:
            subprocess.run([KAFKA_SCRIPT, "cluster", "stop", self.dir], check=False, timeout=120)

    def kill(self, node):
        """SIGKILL: no clean shutdown, its leaderships move once the controller notices."""
        subprocess.run([KAFKA_SCRIPT, "node", "kill", str(node), self.dir], check=True,
                       timeout=60)

    def stop_node(self, node):
        subprocess.run([KAFKA_SCRIPT, "node", "stop", str(node), self.dir], check=True,
                       timeout=60)

    def restart(self, node):
        """Starts a stopped or killed node again; returns when it answers."""
        subprocess.run([KAFKA_SCRIPT, "node", "start", str(node), self.dir], check=True,
                       capture_output=True, timeout=180)

    def partitions(self, topic):
        """{partition: {"leader": node, "replicas": [...], "isrs": [...]}} as the cluster's
        metadata says; {} when the topic does not exist (yet)."""
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-J", "-t", topic, "-m", "10"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            return {}
        return {p["partition"]: {"leader": p["leader"],
                                 "replicas": [r["id"] for r in p.get("replicas", [])],
                                 "isrs": [r["id"] for r in p.get("isrs", [])]}
                for t in json.loads(out.stdout).get("topics", []) if t.get("topic") == topic
                for p in t.get("partitions") or []}

    def leader_of(self, topic, partition):
        """The node leading `partition` of `topic`; None when it has no leader (-1) or is not
        known."""
        leader = self.partitions(topic).get(partition, {}).get("leader")
        return leader if leader is not None and leader >= 0 else None


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".xml": "application/atom+xml", ".md": "text/markdown; charset=utf-8"}

    def log_message(self, *args):
        pass


class Site:
    """A copy of a directory served over HTTP on 127.0.0.1 (port 0) from a thread; the copy
    may be edited by the test while it is served."""

    def __init__(self, src=SAMPLE_SITE):
        self.root = tempfile.mkdtemp(prefix="newsd-site-")
        shutil.copytree(src, self.root, dirs_exist_ok=True)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          partial(_QuietHandler, directory=self.root))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def change_post_2(self):
        """Edits sample post 0002 (32家 -> 35家) and says so in the feed: a new <updated>
        and a Last-Modified newer than the one newsd keeps."""
        post = os.path.join(self.root, "posts", "2024-0002.md")
        with open(post, encoding="utf-8") as f:
            text = f.read()
        with open(post, "w", encoding="utf-8") as f:
            f.write(text.replace("32家", "35家"))
        feed = os.path.join(self.root, "feed.xml")
        with open(feed, encoding="utf-8") as f:
            text = f.read()
        with open(feed, "w", encoding="utf-8") as f:
            f.write(text.replace("<updated>2024-03-02T08:05:12Z</updated>",
                                 "<updated>2024-03-03T00:00:00Z</updated>"))
        os.utime(feed, (1e10, 1e10))

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, state_dir, brokers, sources, topic="it.{category}", metrics_port=None,
                 http=None, kafka_properties=None, max_in_flight=None, dead_letter_topic=None):
    """`http`: the config's http section as a dict ({"timeout": "2s", ...});
    `kafka_properties` are added to (and override) the librdkafka properties."""
    props = {"message.timeout.ms": "30000", **(kafka_properties or {})}
    kafka = {"brokers": brokers, "topic": topic, "properties": props}
    if max_in_flight is not None:
        kafka["max_in_flight"] = max_in_flight
    if dead_letter_topic is not None:
        kafka["dead_letter_topic"] = dead_letter_topic
    lines = [f"state_dir: {state_dir}", "log_level: info",
             f"metrics: {{listen: '127.0.0.1:{metrics_port or free_port()}'}}",
             "kafka: " + json.dumps(kafka)]
    if http:
        lines.append("http: " + json.dumps(http))
    lines.append("sources:")
    for s in sources:
        lines.append("  - " + json.dumps(s, ensure_ascii=False))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def run_newsd(*args, timeout=120):
    return subprocess.run([NEWSD_BIN, *args], capture_output=True, text=True, timeout=timeout)


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """The samples of newsd's /metrics as [(name, {label: value}, float)]; [] if it does not
    answer."""
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    if status != 200:
        return []
    out = []
    for line in body.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            out.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def metric(samples, name, **labels):
    """The sum of the samples named `name` whose labels include `labels`; None if none."""
    values = [v for n, l, v in samples
              if n == name and all(l.get(k) == str(want) for k, want in labels.items())]
    return sum(values) if values else None


class Daemon:
    """`newsd run` in the background; stop() sends SIGTERM and returns the exit code."""

    def __init__(self, config):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([NEWSD_BIN, "run", "--config", config],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def __del__(self):
        self.log.close()
