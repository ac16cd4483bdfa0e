"""Reload (SIGHUP), shutdown (SIGTERM) and back-pressure against the real broker.

Sources are served by hostile_server.py, whose request log tells what newsd really fetched;
the topic read back with kcat tells what was really acknowledged. Every wait is a condition
polled against a deadline.

Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done.
"""
import collections
import os
import signal
import sqlite3
import tempfile
import time
import unittest

from harness import (Daemon, Kafka, free_port, http_get, metric, run_newsd, scrape, wait_for,
                     write_config)
from hostile_server import HostileServer, atom_feed

KAFKA = Kafka()


# One broker for the module's tests.
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup


HTTP = {"timeout": "5s", "connect_timeout": "2s", "max_body": "1MiB", "host_spacing": "0s",
        "max_backoff": "2s"}


def article(i):
    return (f"<!DOCTYPE html><html><head><title>Article {i}</title></head><body><article>"
            f"<h1>Article {i}</h1><p>The whole text of article {i}, long enough to be the body."
            f"</p></article></body></html>")


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.server = HostileServer()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-life-")
        self.state = os.path.join(self.tmp.name, "state")
        self.config = os.path.join(self.tmp.name, "newsd.yaml")
        self.port = free_port()
        self.daemon = None

    def tearDown(self):
        if self.daemon and self.daemon.proc.poll() is None:
            self.daemon.proc.kill()
            self.daemon.proc.wait()
        self.server.close()
        self.tmp.cleanup()

    def write(self, sources, topic, **kw):
        write_config(self.config, self.state, KAFKA.bootstrap, sources, topic=topic,
                     metrics_port=self.port, http=kw.pop("http", HTTP), **kw)

    def source(self, name, path, interval="1s", **extra):
        return {"name": name, "url": self.server.url(path), "format": "atom",
                "interval": interval, **extra}

    def value(self, name, **labels):
        return metric(scrape(self.port), name, **labels)

    def wait_metric(self, name, at_least=1, timeout=30, **labels):
        return wait_for(lambda: (lambda v: v if v is not None and v >= at_least else None)(
            self.value(name, **labels)), timeout, f"{name}{labels} >= {at_least}")

    def wait_count(self, path, at_least, timeout=30):
        return wait_for(lambda: (lambda c: c if c >= at_least else None)(self.server.count(path)),
                        timeout, f"{at_least} requests to {path}")

    def hup(self):
        self.daemon.proc.send_signal(signal.SIGHUP)

    def stop(self):
        rc = self.daemon.stop()
        self.assertEqual(rc, 0, self.daemon.output()[-4000:])

    # -- SIGHUP ---------------------------------------------------------------------------

    def test_reload_starts_added_stops_removed_and_keeps_unchanged_sources(self):
        self.write([self.source("keep", "/etag/keep", "60s"),
                    self.source("retimed", "/etag/retimed", "60s"),
                    self.source("drop", "/feed/drop")], "hup.{source}")
        self.daemon = Daemon(self.config)
        wait_for(lambda: len(KAFKA.consume("hup.keep")) == 2, 60, "keep's posts")
        self.wait_count("/feed/drop", 2)
        # Every first poll has ended (its posts acknowledged): a reload finds none under way.
        self.wait_metric("newsd_source_next_poll_timestamp_seconds", source="retimed")
        keep_due = self.wait_metric("newsd_source_next_poll_timestamp_seconds", source="keep")

        # keep: unchanged; retimed: new interval; drop: gone; add: new.
        self.write([self.source("keep", "/etag/keep", "60s"),
                    self.source("retimed", "/etag/retimed", "50s"),
                    self.source("add", "/feed/add")], "hup.{source}")
        self.hup()
        self.wait_metric("newsd_config_reloads_total", result="success")
        dropped = self.server.count("/feed/drop")  # a poll under way may end, none starts

        wait_for(lambda: len(KAFKA.consume("hup.add")) == 2, 60, "the added source's posts")
        add = self.wait_count("/feed/add", 1)
        self.wait_count("/feed/add", add + 3)  # three more polls of a 1s source: > 2s later
        self.assertEqual(self.server.count("/feed/drop"), dropped)
        self.assertEqual(self.value("newsd_sources"), 3)
        # Unchanged: no extra poll, same schedule.
        self.assertEqual(self.server.count("/etag/keep"), 1)
        self.assertEqual(self.value("newsd_source_next_poll_timestamp_seconds", source="keep"),
                         keep_due)
        # Changed settings: polled again with the state it had (conditional, answered 304).
        etag, modified = self.server.etag_of("/etag/retimed")
        self.assertEqual(self.server.conditional["/etag/retimed"], [(None, None), (etag, modified)])
        self.assertEqual(self.value("newsd_fetches_total", source="retimed",
                                    outcome="not_modified"), 1)
        self.assertEqual(len(KAFKA.consume("hup.keep")), 2)
        self.assertEqual(len(KAFKA.consume("hup.retimed")), 2)
        self.stop()

    def test_an_invalid_reload_is_rejected_and_the_old_sources_keep_running(self):
        self.write([self.source("steady", "/feed/steady")], "bad.{source}")
        self.daemon = Daemon(self.config)
        self.wait_count("/feed/steady", 1)
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("  - {name: evil, url: 'gopher://127.0.0.1/', interval: 10ms}\nbogus: 1\n")
        self.hup()
        self.wait_metric("newsd_config_reloads_total", result="failure")
        self.assertFalse(self.value("newsd_config_reloads_total", result="success"))  # 0 or none
        n = self.server.count("/feed/steady")
        self.wait_count("/feed/steady", n + 2)
        self.assertEqual(self.value("newsd_sources"), 1)
        self.assertIsNone(self.value("newsd_fetches_total", source="evil"))
        self.assertIsNone(self.daemon.proc.poll())
        out = self.daemon.output()
        self.assertIn("reload rejected", out)
        self.assertIn("bogus", out)
        self.stop()

    def test_the_loop_keeps_serving_while_a_reload_is_read_and_a_second_sighup_is_not_lost(self):
        self.write([self.source("old", "/feed/old")], "slow.{source}")
        self.daemon = Daemon(self.config)
        self.wait_count("/feed/old", 1)
        # A config that takes yaml-cpp a second or more to read (a 16 MB comment).
        self.write([self.source("first", "/feed/first")], "slow.{source}")
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("# " + "x" * 16_000_000 + "\n")
        self.hup()
        # The file is read off the loop: /metrics answers before the reload is applied. (Read
        # on the loop, the scrape would wait for it and already count the reload.)
        self.assertFalse(self.value("newsd_config_reloads_total", result="success"))  # 0 or none
        # A SIGHUP during that read asks for another read, which finds the newest file
        # (replaced whole, so that the read under way sees the old one or the new one).
        final = self.config + ".next"
        write_config(final, self.state, KAFKA.bootstrap, [self.source("second", "/feed/second")],
                     topic="slow.{source}", metrics_port=self.port, http=HTTP)
        os.replace(final, self.config)
        self.hup()
        self.wait_metric("newsd_config_reloads_total", at_least=2, timeout=60, result="success")
        self.wait_count("/feed/second", 2)
        self.assertEqual(self.value("newsd_sources"), 1)
        self.assertIsNone(self.value("newsd_fetches_total", source="old"))
        self.assertEqual(self.daemon.output().count("reload: 1 sources"), 2)
        self.stop()

    # -- SIGTERM --------------------------------------------------------------------------

    def test_sigterm_mid_ingest_drains_exits_0_and_loses_nothing(self):
        n = 30
        for i in range(n):
            self.server.set(f"/art/{i}", article(i), "text/html; charset=utf-8", delay=0.3)
        self.server.set("/feed/big", atom_feed("big", n, link=lambda i: self.server.url(f"/art/{i}")))
        self.write([self.source("big", "/feed/big", "30s", follow=True)], "term.{source}")
        self.daemon = Daemon(self.config)
        # Mid-ingest: some articles fetched, most not yet (4 connections, 0.3s each).
        wait_for(lambda: sum(self.server.count(f"/art/{i}") for i in range(n)) >= 4, 60,
                 "the first article requests")
        t0 = time.monotonic()
        self.stop()
        self.assertLess(time.monotonic() - t0, 35)  # drain bound (30s) plus the exit
        fetched = {i for i in range(n) if self.server.count(f"/art/{i}") > 0}
        first = KAFKA.consume("term.big")
        acked = {m["key"] for m in first}
        # Everything fetched before the exit was acknowledged.
        self.assertLessEqual({f"urn:hostile:big:{i}" for i in fetched}, acked)
        self.assertEqual(len(first), len(acked), "no duplicates in one run")

        # A restart publishes exactly what is missing: every post once in the topic.
        self.daemon = Daemon(self.config)
        wait_for(lambda: len({m["key"] for m in KAFKA.consume("term.big")}) == n, 60,
                 f"all {n} posts")
        self.wait_metric("newsd_fetches_total", source="big", outcome="200")
        self.stop()
        counts = collections.Counter(m["key"] for m in KAFKA.consume("term.big"))
        self.assertEqual(set(counts), {f"urn:hostile:big:{i}" for i in range(n)})
        self.assertEqual(max(counts.values()), 1, counts)
        # Posts already acknowledged were not fetched again.
        for i in fetched:
            self.assertEqual(self.server.count(f"/art/{i}"), 1, i)

    def test_a_second_sigterm_exits_at_once_without_corrupting_state(self):
        self.write([self.source("feed", "/feed/one"), self.source("drip", "/drip/one")],
                   "twice.{source}", http={**HTTP, "timeout": "60s"})
        self.daemon = Daemon(self.config)
        wait_for(lambda: len(KAFKA.consume("twice.feed")) == 2, 60, "the feed's posts")
        wait_for(lambda: self.server.active.get("/drip/one", 0) == 1, 30, "a drip in flight")
        self.daemon.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "draining" in self.daemon.output(), 10, "the drain to begin")
        # Draining waits for the drip (60s timeout)...
        self.assertIsNone(self.daemon.proc.poll())
        self.assertEqual(self.server.active.get("/drip/one"), 1)
        # ...until a second signal.
        t0 = time.monotonic()
        self.daemon.proc.send_signal(signal.SIGTERM)
        rc = self.daemon.proc.wait(timeout=10)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(rc, 0, self.daemon.output()[-2000:])
        # The state database is whole and usable; nothing is published twice.
        with sqlite3.connect(os.path.join(self.state, "newsd.sqlite3")) as db:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.write([self.source("feed", "/feed/one")], "twice.{source}")
        r = run_newsd("once", "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(KAFKA.consume("twice.feed")), 2)

    # -- back-pressure --------------------------------------------------------------------

    def test_a_stopped_broker_pauses_polling_and_everything_arrives_after_it_returns(self):
        n = 50
        self.server.set("/feed/bp", atom_feed("bp", n))
        self.write([self.source("bp", "/feed/bp")], "bp.{source}",
                   kafka_properties={"message.timeout.ms": "600000"}, max_in_flight=5)
        base = f"http://127.0.0.1:{self.port}"
        KAFKA.stop()
        try:
            self.daemon = Daemon(self.config)
            self.wait_metric("newsd_sources_paused", 1, timeout=60)
            status, body = http_get(base + "/readyz")
            self.assertEqual(status, 503, body)
            self.assertIn("kafka: unreachable", body)
            self.assertIn("paused sources: 1", body)
            # Paused: the source is not polled again while its posts wait.
            polled = self.server.count("/feed/bp")
            self.assertEqual(polled, 1)
            self.assertGreaterEqual(self.value("newsd_kafka_enqueue_failures_total",
                                               reason="queue_full"), 1)
        finally:
            KAFKA.start()
        wait_for(lambda: len(KAFKA.consume("bp.bp")) >= n, 120, f"{n} records after the restart")
        self.wait_metric("newsd_kafka_messages_produced_total", n, topic="bp.bp")
        wait_for(lambda: self.value("newsd_sources_paused") == 0, 30, "no paused source")
        wait_for(lambda: http_get(base + "/readyz")[0] == 200, 30, "/readyz 200")
        self.assertIn("paused sources: 0", http_get(base + "/readyz")[1])
        records = KAFKA.consume("bp.bp")
        self.assertEqual(sorted(m["key"] for m in records),
                         sorted(f"urn:hostile:bp:{i}" for i in range(n)))
        self.assertFalse(self.value("newsd_kafka_delivery_errors_total"))  # 0 or none
        self.assertEqual(self.value("newsd_posts_total", source="bp", result="new"), n)
        self.stop()


if __name__ == "__main__":
    unittest.main()
