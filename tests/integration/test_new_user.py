"""Issue 23: newsd run the way the README and seeds/ suggest, as a new user would.

Each test pins one defect found that way: the eastmoney seed sources against a loopback copy
of that API shape, binary bodies, `once --sink stdout`, librdkafka's own log lines and
`--version`. Real broker (scripts/kafka/kafka), real loopback HTTP.
"""
import json
import os
import tempfile
import unittest

from eastmoney_api import BODIES, EastmoneyApi
from harness import (SOURCE_DIR, Daemon, Kafka, free_port, metric, run_newsd, scrape,
                     wait_for)

KAFKA = None
SEED = os.path.join(SOURCE_DIR, "seeds", "eastmoney.yaml")


def setUpModule():
    global KAFKA
    KAFKA = Kafka()
    KAFKA.start()


def tearDownModule():
    if KAFKA:
        KAFKA.cleanup()


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


class Version(unittest.TestCase):
    def test_version_prints_the_version_and_the_commit_of_the_build(self):
        out = run_newsd("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^newsd \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)\n$")


if __name__ == "__main__":
    unittest.main()
