"""Exactly-once delivery against the real broker (issue 20, docs/state-topic.md).

Posts and the seen marks that say they were published commit in one Kafka transaction; a
consumer reading with isolation.level=read_committed sees each post once. Checked here: an
ingest loses and repeats nothing; two processes with one transactional id (a zombie): only
one goes on committing, the fenced one exits non-zero saying why, nothing is duplicated;
setups that cannot work stop newsd at start with exit 78 and a one-line reason.
"""
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import Daemon, Kafka, free_port, http_get, run_newsd, scrape, metric, wait_for
from news_site import NewsSite

KAFKA = Kafka()
EXIT_CONFIG = 78


def setUpModule():
    KAFKA.start()


def tearDownModule():
    KAFKA.cleanup()


class ExactlyOnceTest(unittest.TestCase):
    sources = 8
    posts = 10
    arrival = 10.0

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-eos-")
        self.site = NewsSite(self.sources, self.posts, self.arrival)
        name = self._testMethodName.replace("_", "-")
        self.topic = "eos-" + name
        self.state_topic = "eos-state-" + name
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        self.site.close()
        self.tmp.cleanup()

    def write_config(self, name="newsd.yaml", metrics_port=None, state_dir="state",
                     kafka_extra="delivery: exactly_once", state="backend: kafka, partitions: 3",
                     sources=None):
        path = os.path.join(self.tmp.name, name)
        lines = [f"state_dir: {os.path.join(self.tmp.name, state_dir)}",
                 f"metrics: {{listen: '127.0.0.1:{metrics_port or free_port()}'}}",
                 f"kafka: {{brokers: '{KAFKA.bootstrap}', topic: '{self.topic}', "
                 f"max_in_flight: 50, {kafka_extra}}}",
                 f"state: {{topic: '{self.state_topic}', {state}}}",
                 "http: {timeout: 2s, connect_timeout: 1s, host_spacing: 0s, max_backoff: 2s}",
                 "sources:"]
        for i in range(self.sources if sources is None else sources):
            lines.append(f"  - {{name: s{i}, url: '{self.site.url(i)}', format: atom, "
                         "interval: 1s}")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self, config):
        d = Daemon(config)
        self.daemons.append(d)
        return d

    def committed_ids(self):
        return [m["key"] for m in KAFKA.consume(self.topic, committed=True)]

    def caught_up(self):
        return self.site.all_published() and self.site.expected_ids() <= set(self.committed_ids())

    def assert_exactly_once(self):
        ids = self.committed_ids()
        lost = self.site.expected_ids() - set(ids)
        self.assertEqual(lost, set(), "lost posts")
        self.assertEqual(len(ids), len(set(ids)), "duplicates for a read_committed consumer")

    def test_1_ingest_loses_and_repeats_nothing(self):
        port = free_port()
        d = self.start(self.write_config(metrics_port=port))
        wait_for(self.caught_up, 120, "every published post committed")
        samples = scrape(port)
        self.assertGreater(metric(samples, "newsd_kafka_transactions_total", outcome="committed"),
                           0)
        self.assertIsNotNone(metric(samples, "newsd_state_restore_seconds"))
        self.assertGreater(metric(samples, "newsd_state_records_written_total"), 0)
        self.assertEqual(d.stop(), 0, d.output()[-3000:])
        self.assertRegex(d.output(), r"exactly-once delivery: transactional id newsd-")
        self.assertRegex(d.output(), r"state topic eos-state-\S+: restored")
        self.assert_exactly_once()
        # A restart restores the committed marks and publishes nothing again.
        before = len(self.committed_ids())
        d = self.start(self.write_config(metrics_port=port))
        wait_for(lambda: metric(scrape(port), "newsd_state_restore_seconds") is not None, 60,
                 "the restore")
        time.sleep(3)  # several polls of every source: all 304 or seen, nothing to commit
        self.assertEqual(d.stop(), 0, d.output()[-3000:])
        self.assertEqual(len(self.committed_ids()), before)

    def test_2_zombie_with_the_same_transactional_id_is_fenced(self):
        extra = "delivery: exactly_once, transactional_id: eos-zombie-test"
        old = self.start(self.write_config("a.yaml", kafka_extra=extra, state_dir="a"))
        wait_for(lambda: len(self.committed_ids()) > 0, 60, "the first instance to commit")
        new = self.start(self.write_config("b.yaml", kafka_extra=extra, state_dir="b"))
        # The old one learns it was fenced at its next transaction (posts keep arriving).
        wait_for(lambda: old.proc.poll() is not None, 60, "the fenced instance to exit")
        self.assertNotEqual(old.proc.returncode, 0)
        self.assertRegex(old.output(), r"another instance uses the same kafka.transactional_id")
        wait_for(self.caught_up, 120, "every published post committed by the new instance")
        self.assertEqual(new.stop(), 0, new.output()[-3000:])
        self.assert_exactly_once()

    def assert_refused(self, config, *expected):
        r = run_newsd("run", "--config", config, timeout=120)
        self.assertEqual(r.returncode, EXIT_CONFIG, r.stderr[-3000:])
        for e in expected:
            self.assertIn(e, r.stderr)
        return r

    def test_3_setups_that_cannot_work_exit_78_with_a_reason(self):
        # exactly_once with the SQLite store: a config error at kafka.delivery, file:line.
        config = self.write_config("sqlite.yaml", state="backend: sqlite")
        r = self.assert_refused(config, "kafka.delivery: exactly_once needs state.backend: kafka")
        self.assertRegex(r.stderr, r"sqlite\.yaml:\d+:\d+: kafka\.delivery")
        check = run_newsd("check-config", config)
        self.assertEqual(check.returncode, EXIT_CONFIG)

        # A state topic that is not compacted (auto-created with cleanup.policy=delete).
        subprocess.run(["kcat", "-b", KAFKA.bootstrap, "-P", "-t", self.state_topic],
                       input="x\n", text=True, check=True, timeout=60)
        wait_for(lambda: KAFKA.end_offsets(self.state_topic), 30, "the auto-created topic")
        self.assert_refused(self.write_config("delete.yaml", state="backend: kafka, partitions: 1"),
                            self.state_topic, "cleanup.policy=delete")

        # A state topic with another partition count than configured.
        self.state_topic += "-parts"
        once = run_newsd("once", "--config", self.write_config(
            "three.yaml", state="backend: kafka, partitions: 3", sources=1), timeout=120)
        self.assertIn(once.returncode, (0, 1), once.stderr[-3000:])  # created the topic
        r = self.assert_refused(self.write_config("five.yaml", state="backend: kafka, partitions: 5"),
                                self.state_topic)
        self.assertRegex(r.stderr, r"\b3\b.*\b5\b|\b5\b.*\b3\b")
        self.assertEqual(len(KAFKA.end_offsets(self.state_topic)), 3, "the topic stays as it was")


if __name__ == "__main__":
    unittest.main()
