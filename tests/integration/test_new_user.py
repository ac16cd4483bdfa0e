"""Issue 23: newsd run the way the README and seeds/ suggest, as a new user would.

Each test pins one defect found that way: the eastmoney seed sources against a loopback copy
of that API shape, binary bodies, `once --sink stdout`, librdkafka's own log lines and
`--version`. Real broker (scripts/kafka/kafka), real loopback HTTP.
"""
import json
import os
import subprocess
import tempfile
import unittest

from eastmoney_api import BODIES, EastmoneyApi
from harness import (SOURCE_DIR, Daemon, Kafka, free_port, metric, run_newsd, scrape,
                     wait_for)

KAFKA = Kafka()
# The start of a 16x16 favicon: ICO header, one directory entry, bitmap header.
FAVICON = (b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00"
           b"\x16\x00\x00\x00\x28\x00\x00\x00\x10\x00\x00\x00\x20\x00\x00\x00" + b"\xff" * 64)
SEED = os.path.join(SOURCE_DIR, "seeds", "eastmoney.yaml")


# One broker for the module's tests.
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup


def dead_letter_headers(topic):
    """The dead letters of `topic` as [{"headers": {...}, "payload": bytes}]: their values are
    the raw bytes fetched, which need not be text."""
    out = subprocess.run(["kcat", "-b", KAFKA.bootstrap, "-C", "-t", topic, "-o", "beginning",
                          "-e", "-q", "-J", "-m", "10"], capture_output=True, timeout=60)
    letters = []
    for line in out.stdout.decode("utf-8", "surrogateescape").splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        letters.append({"headers": dict(zip(h[0::2], h[1::2])),
                        "payload": m["payload"].encode("utf-8", "surrogateescape")})
    return letters


def seed_sources(api_base, path):
    """seeds/eastmoney.yaml as shipped, its placeholder host pointed at `api_base`."""
    with open(SEED, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("http://api.example", api_base))


class NewUser(unittest.TestCase):
    def setUp(self):
        self.api = EastmoneyApi()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-new-user-")
        self.metrics_port = free_port()

    def tearDown(self):
        self.api.close()
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write_config(self, topic, kafka=True, extra=""):
        config = self.path("newsd.yaml")
        lines = [f"state_dir: {self.path('state')}",
                 f"metrics: {{listen: '127.0.0.1:{self.metrics_port}'}}"]
        if kafka:
            lines.append("kafka: " + json.dumps({
                "brokers": KAFKA.bootstrap, "topic": topic,
                "dead_letter_topic": topic.replace("{category}", "dead"),
                "properties": {"message.timeout.ms": "30000"}}))
        with open(config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n" + extra)
        return config

    def test_the_eastmoney_seed_publishes_posts_with_their_bodies(self):
        seed_sources(self.api.base, self.path("eastmoney.yaml"))
        config = self.write_config("em.{category}",
                                   extra=f"source_files: [{self.path('eastmoney.yaml')}]\n")
        check = run_newsd("check-config", config)
        self.assertEqual(check.returncode, 0, check.stderr)
        daemon = Daemon(config)
        try:
            def posts():
                return [m for t in ("em.shilicaijing", "em.shiliribao")
                        for m in KAFKA.consume(t)]
            records = wait_for(lambda: len(posts()) >= 3 and posts(), 60, "three posts")
            wait_for(lambda: metric(scrape(self.metrics_port), "newsd_parse_errors_total",
                                    format="json_api_detail"), 30, "the unrenderable detail")
        finally:
            self.assertEqual(daemon.stop(), 0, daemon.output())
        by_id = {m["value"]["id"]: m["value"] for m in records}
        self.assertEqual(sorted(by_id), sorted(BODIES), daemon.output())
        for code, (html, media) in BODIES.items():
            post = by_id[code]
            self.assertTrue(post["body_text"], post)
            self.assertIn(post["body_text"].split("\n")[0][:8], html)
            self.assertNotIn("文章来源", post["body_text"])
            self.assertEqual(post["media"], media)
            self.assertTrue(post["origin_url"].endswith(f"NewsShare.html?infoCode={code}"),
                            post)
        self.assertEqual(sorted(self.api.detail_requests), sorted(BODIES))
        self.assertNotIn("一条没有编号的快讯", json.dumps(records, ensure_ascii=False))
        self.assertIn("not published", daemon.output())


    def test_a_source_that_answers_with_an_image_goes_to_the_dead_letter_topic(self):
        # A source URL that points to the wrong thing: the site's favicon.
        self.api.answer("/favicon.ico", "image/x-icon", FAVICON)
        self.api.answer("/download", "application/octet-stream", FAVICON)
        source = {"name": "wrong-url", "url": self.api.base + "/favicon.ico", "interval": "1h"}
        download = {"name": "download", "url": self.api.base + "/download", "interval": "1h"}
        config = self.write_config("fav.{category}", extra="sources:\n" + "".join(
            "  - " + json.dumps(s) + "\n" for s in (source, download)))
        out = run_newsd("once", "--config", config)
        self.assertEqual(out.returncode, 1, out.stderr)  # two failed polls
        letters = wait_for(lambda: dead_letter_headers("fav.dead"), 30, "dead letters")
        self.assertEqual(sorted(m["headers"]["newsd_source"] for m in letters),
                         ["download", "wrong-url"], out.stderr)
        for m in letters:
            self.assertIn("binary content", m["headers"]["newsd_error"])
            self.assertEqual(m["payload"], FAVICON)  # as fetched
        self.assertEqual([t for t in KAFKA.topics() if t.startswith("fav.") and t != "fav.dead"],
                         [])

    def test_parse_refuses_a_favicon_naming_the_file(self):
        path = self.path("favicon.ico")
        with open(path, "wb") as f:
            f.write(FAVICON)
        for fmt in ("auto", "text"):
            out = run_newsd("parse", "--format", fmt, path)
            self.assertNotEqual(out.returncode, 0, out.stdout)
            self.assertEqual(out.stdout, "")
            self.assertIn(path + ": ", out.stderr)
            self.assertIn("binary content", out.stderr)


    def stdout_config(self):
        seed_sources(self.api.base, self.path("eastmoney.yaml"))
        return self.write_config("", kafka=False,
                                 extra=f"source_files: [{self.path('eastmoney.yaml')}]\n")

    def test_once_to_stdout_needs_no_kafka_section_and_is_a_dry_run_by_default(self):
        config = self.stdout_config()
        for _ in range(2):
            out = run_newsd("once", "--config", config, "--sink", "stdout")
            self.assertEqual(out.returncode, 1, out.stderr)  # the item without an id failed
            ids = sorted(json.loads(line)["id"] for line in out.stdout.splitlines())
            self.assertEqual(ids, sorted(BODIES), out.stderr)  # again: nothing recorded seen
        help_text = run_newsd("once", "--help").stdout
        self.assertIn("dry run", help_text)
        self.assertIn("--commit", help_text)

    def test_once_to_stdout_with_commit_prints_each_post_once_across_runs(self):
        config = self.stdout_config()
        first = run_newsd("once", "--config", config, "--sink", "stdout", "--commit")
        self.assertEqual(first.returncode, 1, first.stderr)  # the item without an id failed
        self.assertEqual(sorted(json.loads(line)["id"] for line in first.stdout.splitlines()),
                         sorted(BODIES), first.stderr)
        second = run_newsd("once", "--config", config, "--sink", "stdout", "--commit")
        self.assertEqual(second.returncode, 1, second.stderr)
        self.assertEqual(second.stdout, "")


class KafkaLogs(unittest.TestCase):
    def test_librdkafka_lines_come_through_the_kafka_logger_in_the_configured_format(self):
        with tempfile.TemporaryDirectory(prefix="newsd-new-user-") as tmp:
            config = os.path.join(tmp, "newsd.yaml")
            with open(config, "w", encoding="utf-8") as f:
                # No broker listens on the port: librdkafka logs its connection failures.
                f.write(f"state_dir: {tmp}/state\nlog_format: json\n"
                        f"metrics: {{listen: '127.0.0.1:{free_port()}'}}\n"
                        f"kafka: {{brokers: '127.0.0.1:{free_port()}'}}\nsources: []\n")
            daemon = Daemon(config)
            try:
                wait_for(lambda: '"stage":"kafka"' in daemon.output(), 30, "a kafka log line")
            finally:
                daemon.stop()
            lines = daemon.output().splitlines()
            self.assertFalse([l for l in lines if l.startswith("%")], lines)
            records = [json.loads(l) for l in lines]  # every line is a JSON log record
            kafka = [r for r in records if r["stage"] == "kafka"]
            self.assertIn("Connection refused", kafka[0]["msg"])
            self.assertEqual(kafka[0]["level"], "error")
            # librdkafka retries every second; the repeats are held back.
            self.assertEqual(len([r for r in kafka if "Connection refused" in r["msg"]]), 1)


class Version(unittest.TestCase):
    def test_version_prints_the_version_and_the_commit_of_the_build(self):
        out = run_newsd("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^newsd \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)\n$")


if __name__ == "__main__":
    unittest.main()
