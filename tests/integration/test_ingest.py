"""newsd ingests the sample site end to end into a real Kafka broker.

Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done.
"""
import json
import os
import re
import tempfile
import unittest

import jsonschema

from harness import (Daemon, Kafka, Site, free_port, http_get, run_newsd, wait_for,
                     write_config, SCHEMA_PATH)

KAFKA = Kafka()


# One broker for the module's tests.
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup


with open(SCHEMA_PATH, encoding="utf-8") as f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(f))

SAMPLE_IDS = {f"tag:sample.newsd.local,2024:000{i}" for i in (1, 2, 3, 4)}


class IngestTest(unittest.TestCase):
    def setUp(self):
        self.site = Site()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-it-")
        self.state = os.path.join(self.tmp.name, "state")
        self.config = os.path.join(self.tmp.name, "newsd.yaml")

    def tearDown(self):
        self.site.close()
        self.tmp.cleanup()

    def source(self, **extra):
        s = {"name": "sample", "url": self.site.url("feed.xml"), "format": "atom",
             "follow": True, "timezone": "Asia/Shanghai", "interval": "1s"}
        s.update(extra)
        return s

    def consume_all(self, prefix):
        out = []
        for t in KAFKA.topics():
            if t.startswith(prefix):
                out += KAFKA.consume(t)
        return out

    def assert_valid_record(self, m):
        v = m["value"]
        VALIDATOR.validate(v)
        self.assertEqual(m["key"], v["id"])
        h = m["headers"]
        self.assertEqual(h["ce_specversion"], "1.0")
        self.assertEqual(h["ce_type"], "newsd.post.v1")
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(h["ce_source"], "/newsd/sources/sample")
        self.assertEqual(h["ce_time"], v["fetched_at"])
        self.assertTrue(h["ce_id"].startswith(v["id"] + "#"))

    def test_once_publishes_each_post_once_and_republishes_only_changes(self):
        write_config(self.config, self.state, KAFKA.bootstrap, [self.source()], topic="once.{category}")
        r = run_newsd("once", "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)

        self.assertEqual(KAFKA.topics().count("once.xinhuacaijing"), 1)
        records = self.consume_all("once.")
        self.assertEqual(sorted(m["topic"] for m in records),
                         ["once.dazhongribao", "once.sichuanribao", "once.xinhuacaijing",
                          "once.xinhuacaijing"])
        self.assertEqual({m["key"] for m in records}, SAMPLE_IDS)
        by_id = {m["key"]: m["value"] for m in records}
        for m in records:
            self.assert_valid_record(m)

        p1 = by_id["tag:sample.newsd.local,2024:0001"]
        self.assertEqual(p1["source"], "sample")
        self.assertEqual(p1["url"], self.site.url("posts/2024-0001.md"))
        self.assertEqual(p1["title"], "示例城市发布2024年一季度经济运行情况 消费与投资稳步回升")
        self.assertEqual(p1["published_at"], "2024-04-18T01:30:00Z")
        self.assertEqual(p1["category"], "xinhuacaijing")
        self.assertEqual(p1["tags"], ["新华财经新闻"])
        self.assertEqual(p1["media"], "新华财经")
        self.assertEqual(p1["origin_url"], "http://sample.newsd.local/html_News/NewsShare.html"
                                           "?infoCode=NW202404180000000001")
        self.assertTrue(p1["body_text"].startswith("示例城市统计局18日发布数据显示"))
        self.assertEqual(p1["body_text"].count("\n"), 2)
        for junk in ("<", "返回", "文章来源", "sample.newsd.local"):
            self.assertNotIn(junk, p1["body_text"])
        self.assertIsNone(by_id["tag:sample.newsd.local,2024:0004"]["media"])
        self.assertEqual(by_id["tag:sample.newsd.local,2024:0003"]["summary"],
                         "示例港口前两月集装箱吞吐量同比增长9.8%，航线网络持续加密。")

        # A second pass publishes nothing: everything was acknowledged and committed.
        r = run_newsd("once", "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.consume_all("once.")), 4)

        # A changed post (the feed says so) is published again under the same id.
        self.site.change_post_2()
        r = run_newsd("once", "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        changed = KAFKA.consume("once.sichuanribao")
        self.assertEqual(len(changed), 2)
        self.assertEqual(changed[0]["key"], changed[1]["key"])
        self.assertNotEqual(changed[0]["value"]["content_sha256"],
                            changed[1]["value"]["content_sha256"])
        self.assertIn("35家", changed[1]["value"]["body_text"])
        self.assertEqual(len(self.consume_all("once.")), 5)

    def test_an_unparseable_feed_goes_raw_to_the_dead_letter_topic(self):
        broken = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                  "<title>Kaputt</title><entry><id>x</id><title>Unclosed</entry></feed>\n")
        with open(os.path.join(self.site.root, "broken.xml"), "w", encoding="utf-8") as f:
            f.write(broken)
        sources = [self.source(),
                   {"name": "broken", "url": self.site.url("broken.xml"), "format": "atom",
                    "interval": "1s"}]
        write_config(self.config, self.state, KAFKA.bootstrap, sources, topic="dl.{category}",
                     dead_letter_topic="dl.dead")
        r = run_newsd("once", "--config", self.config)
        self.assertNotEqual(r.returncode, 0)  # a poll failed, and once says so
        self.assertIn("cannot parse", r.stderr)
        # The good source is unaffected.
        posts = [m for t in KAFKA.topics() if t.startswith("dl.") and t != "dl.dead"
                 for m in KAFKA.consume(t)]
        self.assertEqual({m["key"] for m in posts}, SAMPLE_IDS)
        letters = KAFKA.consume("dl.dead", raw=True)
        self.assertEqual(len(letters), 1)
        letter = letters[0]
        self.assertEqual(letter["key"], "broken")
        self.assertEqual(letter["value"], broken)
        h = letter["headers"]
        self.assertEqual(h["newsd_source"], "broken")
        self.assertEqual(h["newsd_url"], self.site.url("broken.xml"))
        self.assertEqual(h["newsd_format"], "atom")
        self.assertIn("XML error", h["newsd_error"])
        self.assertRegex(h["newsd_fetched_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_stdout_sink_prints_records_and_marks_nothing_seen(self):
        write_config(self.config, self.state, KAFKA.bootstrap, [self.source()], topic="dry.{category}")
        r = run_newsd("once", "--config", self.config, "--sink", "stdout")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual({p["id"] for p in lines}, SAMPLE_IDS)
        for p in lines:
            VALIDATOR.validate(p)
        self.assertEqual(self.consume_all("dry."), [])
        # A dry run must not hide the posts from the real run that follows.
        r = run_newsd("once", "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.consume_all("dry.")), 4)

    def test_daemon_serves_metrics_stops_cleanly_and_does_not_republish_after_restart(self):
        port = free_port()
        write_config(self.config, self.state, KAFKA.bootstrap, [self.source()],
                     topic="daemon.{source}", metrics_port=port)
        base = f"http://127.0.0.1:{port}"
        d = Daemon(self.config)
        try:
            wait_for(lambda: len(KAFKA.consume("daemon.sample")) >= 4, 60, "4 records")
            metrics = wait_for(
                lambda: (lambda s, b: b if s == 200 and 'result="new",source="sample"} 4' in b
                         else None)(*http_get(base + "/metrics")),
                30, "newsd_posts_total new=4")
            self.assertRegex(metrics, r'newsd_kafka_messages_produced_total\{topic="daemon.sample"\} 4')
            self.assertIn("newsd_build_info{", metrics)
            self.assertIn("process_resident_memory_bytes", metrics)
            self.assertEqual(http_get(base + "/healthz")[0], 200)
            wait_for(lambda: http_get(base + "/readyz")[0] == 200, 30, "/readyz 200")
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0, d.output())

        d = Daemon(self.config)
        try:
            # Polled again (conditional GET answered 304) and nothing new went out.
            wait_for(lambda: re.search(r'newsd_fetches_total\{outcome="not_modified",source="sample"\} [1-9]',
                                       http_get(base + "/metrics")[1]), 60, "a 304 poll")
            self.assertEqual(len(KAFKA.consume("daemon.sample")), 4)
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0, d.output())


class CommandLineTest(unittest.TestCase):
    def test_check_config_reports_errors_with_location_and_exit_78(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("kafka:\n  brokers: 127.0.0.1:1\nsources:\n  - name: a\n    url: gopher://x\n")
        try:
            r = run_newsd("check-config", f.name)
            self.assertEqual(r.returncode, 78)
            self.assertIn(f"{f.name}:5:10: sources[0].url: must be an http:// or https:// URL",
                          r.stderr)
        finally:
            os.unlink(f.name)

    def test_parse_reports_a_bad_file_by_name_and_still_prints_the_good_ones(self):
        seeds = os.path.join(os.path.dirname(SCHEMA_PATH), "..", "..", "shared", "seeds")
        if not os.path.isdir(seeds):
            self.skipTest("../shared/seeds is absent")
        good = sorted(os.path.join(seeds, f) for f in os.listdir(seeds))
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as bad:
            bad.write("<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>cut off")
        try:
            r = run_newsd("parse", "--format", "atom", bad.name)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(bad.name, r.stderr)
            r = run_newsd("parse", good[0], "/nonexistent/post.md", *good[1:])
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("/nonexistent/post.md", r.stderr)
            records = [json.loads(l) for l in r.stdout.splitlines()]
            self.assertEqual(len(records), len(good))
            for p in records:
                VALIDATOR.validate(p)
        finally:
            os.unlink(bad.name)


if __name__ == "__main__":
    unittest.main()
