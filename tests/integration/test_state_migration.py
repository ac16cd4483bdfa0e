"""Issue 20: a SQLite state moves into the Kafka state topic (`newsd state export`, `newsd
state import`) and nothing is published again (docs/state-topic.md, "Migrating a SQLite
state"). Against the real broker and the loopback sample site.

Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done.
"""
import json
import os
import subprocess
import tempfile
import unittest

from harness import Daemon, Kafka, Site, run_newsd, wait_for, write_config, NEWSD_BIN

KAFKA = Kafka()

setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup

SAMPLE_IDS = {f"tag:sample.newsd.local,2024:000{i}" for i in (1, 2, 3, 4)}


class StateMigrationTest(unittest.TestCase):
    def setUp(self):
        self.site = Site()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-mig-")
        self.state = os.path.join(self.tmp.name, "state")
        self.export_file = os.path.join(self.tmp.name, "state-export.jsonl")
        # Topics of their own per test: one broker serves the module.
        name = self._testMethodName.replace("_", "")[-40:]
        self.posts_prefix = f"mig{name}."
        self.state_topic = f"mig{name}.state"
        self.sqlite_config = os.path.join(self.tmp.name, "sqlite.yaml")
        self.kafka_config = os.path.join(self.tmp.name, "kafka.yaml")
        source = {"name": "sample", "url": self.site.url("feed.xml"), "format": "atom",
                  "follow": True, "timezone": "Asia/Shanghai", "interval": "1s"}
        write_config(self.sqlite_config, self.state, KAFKA.bootstrap, [source],
                     topic=self.posts_prefix + "{category}")
        with open(self.sqlite_config, encoding="utf-8") as f:
            text = f.read()
        with open(self.kafka_config, "w", encoding="utf-8") as f:
            f.write(text.replace("\nsources:\n", "\nstate: {backend: kafka, topic: "
                                 f"{self.state_topic}, partitions: 3}}\nsources:\n"))

    def tearDown(self):
        self.site.close()
        self.tmp.cleanup()

    def published(self):
        """{topic: end offset} of the posts' topics."""
        return {t: sum(KAFKA.end_offsets(t).values()) for t in KAFKA.topics()
                if t.startswith(self.posts_prefix) and t != self.state_topic}

    def once(self, config):
        r = run_newsd("once", "--config", config)
        self.assertEqual(r.returncode, 0, r.stderr)

    def export(self, *extra):
        return run_newsd("state", "export", "--config", self.sqlite_config, *extra)

    def import_(self, *extra):
        return run_newsd("state", "import", "--config", self.kafka_config, *extra)

    def test_a_migrated_state_publishes_nothing_again_and_only_what_changes_later(self):
        self.once(self.sqlite_config)
        before = self.published()
        self.assertEqual(sum(before.values()), 4)

        r = self.export("--output", self.export_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("exported 4 seen marks and 1 poll states", r.stderr)
        with open(self.export_file, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(lines[0]["type"], "newsd-state-export")
        self.assertEqual(lines[-1], {"type": "end", "marks": 4, "poll_states": 1})
        self.assertEqual({m["id"] for m in lines if m["type"] == "mark"}, SAMPLE_IDS)
        self.assertFalse(os.path.exists(self.export_file + ".partial"))

        r = self.import_("--input", self.export_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"imported 4 seen marks and 1 poll states into the state topic "
                      f"{self.state_topic}", r.stderr)
        self.assertEqual(sum(KAFKA.end_offsets(self.state_topic).values()), 5)

        # The daemon on the topic: nothing again.
        self.once(self.kafka_config)
        self.assertEqual(self.published(), before)

        # A changed feed is read whole (its validators no longer match): the imported marks
        # keep the three unchanged posts from being published again; the changed one is.
        self.site.change_post_2()
        self.once(self.kafka_config)
        after = self.published()
        self.assertEqual(sum(after.values()) - sum(before.values()), 1, after)

    def test_the_import_refuses_a_topic_that_holds_state_unless_forced(self):
        self.once(self.sqlite_config)
        self.assertEqual(self.export("--output", self.export_file).returncode, 0)
        self.assertEqual(self.import_("--input", self.export_file).returncode, 0)

        r = self.import_("--input", self.export_file)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"state topic {self.state_topic} already holds state (4 seen marks, "
                      "1 poll states)", r.stderr)
        self.assertIn("--force", r.stderr)
        self.assertEqual(sum(KAFKA.end_offsets(self.state_topic).values()), 5)

        r = self.import_("--input", self.export_file, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sum(KAFKA.end_offsets(self.state_topic).values()), 10)

    def test_export_and_import_in_a_pipe(self):
        self.once(self.sqlite_config)
        pipe = subprocess.run(
            f"'{NEWSD_BIN}' state export --config '{self.sqlite_config}' | "
            f"'{NEWSD_BIN}' state import --config '{self.kafka_config}'",
            shell=True, capture_output=True, text=True, timeout=120)
        self.assertEqual(pipe.returncode, 0, pipe.stderr)
        self.assertIn("imported 4 seen marks and 1 poll states", pipe.stderr)
        self.assertEqual(sum(KAFKA.end_offsets(self.state_topic).values()), 5)

    def test_a_faulty_export_writes_nothing(self):
        self.once(self.sqlite_config)
        self.assertEqual(self.export("--output", self.export_file).returncode, 0)
        with open(self.export_file, encoding="utf-8") as f:
            lines = f.readlines()
        with open(self.export_file, "w", encoding="utf-8") as f:
            f.writelines(lines[:-1])  # cut before its end line
        r = self.import_("--input", self.export_file)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("without its end line: it is incomplete (4 of 4 marks)", r.stderr)
        self.assertNotIn(self.state_topic, KAFKA.topics())

    def test_the_export_is_refused_while_newsd_runs_and_the_import_needs_the_kafka_backend(self):
        daemon = Daemon(self.sqlite_config)
        try:
            # Running, past its start-up: its first poll was delivered.
            wait_for(lambda: sum(self.published().values()) == 4, 60, "4 posts published")
            r = self.export("--output", self.export_file)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("is in use by another process: stop newsd", r.stderr)
            self.assertFalse(os.path.exists(self.export_file))
        finally:
            self.assertEqual(daemon.stop(), 0, daemon.output())
        self.assertEqual(self.export("--output", self.export_file).returncode, 0)

        r = run_newsd("state", "import", "--config", self.sqlite_config, "--input", self.export_file)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("state.backend is sqlite", r.stderr)


if __name__ == "__main__":
    unittest.main()
