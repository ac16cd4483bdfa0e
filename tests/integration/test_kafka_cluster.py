"""The 3-node KRaft cluster of scripts/kafka/kafka (issue 21's proof runs on it): a record
produced with acks=all survives the loss of its partition's leader, and producing goes on
once the leadership moved; the killed node comes back into the in-sync replicas. The
consumer-group members of daemon/cluster run against it (their GoogleTest binary), and two
newsd instances share a loopback news site's sources: SIGKILL one, and the other polls its
sources within the session timeout plus an interval."""
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from news_site import NewsSite

CLUSTER = harness.KafkaCluster()
setUpModule = CLUSTER.start
tearDownModule = CLUSTER.cleanup


def produce(topic, *values):
    """Produces `values` with acks=all; raises unless every one was acknowledged."""
    out = subprocess.run(
        ["kcat", "-b", CLUSTER.bootstrap, "-P", "-t", topic, "-X", "acks=all",
         "-X", "message.timeout.ms=30000", "-X", "topic.metadata.refresh.interval.ms=1000"],
        input="\n".join(values) + "\n", capture_output=True, text=True, timeout=90)
    # kcat logs every failed connection to a killed node of the bootstrap list; only a
    # delivery failure or the exit status says a record was not acknowledged.
    if out.returncode != 0 or "delivery failed" in out.stderr.lower():
        raise AssertionError(f"kcat could not produce to {topic}: {out.stderr}")


class KafkaClusterTest(unittest.TestCase):

    def test_a_record_acknowledged_by_all_replicas_survives_the_loss_of_its_leader(self):
        produce("cluster-it", "before")
        leader = harness.wait_for(lambda: CLUSTER.leader_of("cluster-it", 0), 30,
                                  "a leader for cluster-it/0")
        self.assertEqual(sorted(CLUSTER.partitions("cluster-it")[0]["replicas"]), [1, 2, 3])
        CLUSTER.kill(leader)
        try:
            def moved():
                now = CLUSTER.leader_of("cluster-it", 0)
                return now if now not in (None, leader) else None
            harness.wait_for(moved, 60, "the leadership to move")
            produce("cluster-it", "after")  # two replicas in sync: min.insync.replicas met
            values = [r["value"] for r in CLUSTER.consume("cluster-it", raw=True)]
            self.assertEqual(values, ["before", "after"])
        finally:
            CLUSTER.restart(leader)
        harness.wait_for(lambda: leader in CLUSTER.partitions("cluster-it")[0]["isrs"], 90,
                         f"node {leader} back in sync")

    def test_group_members_split_and_move_the_state_topics_partitions(self):
        binary = os.path.join(os.path.dirname(harness.NEWSD_BIN), "..", "cluster",
                              "cluster_integration_test")
        out = subprocess.run([binary], env={**os.environ, "NEWSD_TEST_KAFKA": CLUSTER.bootstrap},
                             capture_output=True, text=True, timeout=400)
        print(out.stdout[-3000:], out.stderr[-2000:])
        self.assertEqual(out.returncode, 0)


class FailoverTest(unittest.TestCase):
    sources = 24
    session = 6  # seconds: the brokers' group.min.session.timeout.ms

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-cluster-")
        self.site = NewsSite(self.sources, posts=10, arrival=40.0)
        self.topic = "cluster-posts"
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        self.site.close()
        self.tmp.cleanup()

    def start(self, instance):
        port = harness.free_port()
        path = os.path.join(self.tmp.name, instance + ".yaml")
        lines = [f"state_dir: {os.path.join(self.tmp.name, instance)}",
                 f"metrics: {{listen: '127.0.0.1:{port}'}}",
                 f"kafka: {{brokers: '{CLUSTER.bootstrap}', topic: '{self.topic}'}}",
                 "state: {backend: kafka, topic: cluster-state, partitions: 6}",
                 f"cluster: {{group: cluster-it, instance: {instance}, "
                 f"session_timeout: {self.session}s}}",
                 "http: {timeout: 2s, connect_timeout: 1s, host_spacing: 0s, max_backoff: 2s}",
                 "sources:"]
        for i in range(self.sources):
            lines.append(f"  - {{name: s{i}, url: '{self.site.url(i)}', format: atom, "
                         "interval: 1s}")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        d = harness.Daemon(path)
        d.port = port
        self.daemons.append(d)
        return d

    @staticmethod
    def owned(d):
        """(partitions, sources) the instance's /readyz says it owns; None until ready."""
        status, body = harness.http_get(f"http://127.0.0.1:{d.port}/readyz")
        m = re.search(r"cluster: (\d+) partitions, (\d+) sources", body)
        return (int(m.group(1)), int(m.group(2))) if status == 200 and m else None

    def wait(self, predicate, timeout, what, *daemons):
        """wait_for, with the daemons' last log lines when it times out."""
        try:
            harness.wait_for(predicate, timeout, what)
        except AssertionError as e:
            logs = "\n".join(d.output()[-2500:] for d in daemons)
            raise AssertionError(f"{e}\n{logs}") from None

    def fetches(self, d):
        samples = harness.scrape(d.port)
        return {i: harness.metric(samples, "newsd_fetches_total", source=f"s{i}") or 0
                for i in range(self.sources)}

    def test_the_sources_of_a_killed_instance_are_polled_by_the_other(self):
        # The first start creates the state topic: on a 3-node cluster its metadata reaches the
        # other brokers a moment later, and ensure_topic waits for it (it once exited 78).
        a = self.start("a")
        self.wait(lambda: self.owned(a) == (6, self.sources), 120, "a to own every partition",
                  a)
        b = self.start("b")

        def split():
            oa, ob = self.owned(a), self.owned(b)
            return oa and ob and oa[0] + ob[0] == 6 and oa[0] and ob[0] \
                and oa[1] + ob[1] == self.sources
        self.wait(split, 120, "the partitions split between a and b", a, b)
        fa, fb = self.fetches(a), self.fetches(b)
        time.sleep(4)  # a few polls each
        ga, gb = self.fetches(a), self.fetches(b)
        a_sources = {i for i in range(self.sources) if ga[i] > fa[i]}
        b_sources = {i for i in range(self.sources) if gb[i] > fb[i]}
        self.assertTrue(b_sources)
        self.assertEqual(a_sources & b_sources, set(), "sources polled by both")
        b.proc.send_signal(signal.SIGKILL)
        b.proc.wait()
        killed = time.monotonic()
        before = self.fetches(a)
        self.wait(lambda: all(self.fetches(a)[i] > before[i] for i in b_sources),
                  self.session + 60, "a to poll b's sources", a)
        took = time.monotonic() - killed
        print(f"failover: b's {len(b_sources)} sources polled by a {took:.1f} s after SIGKILL "
              f"(session.timeout {self.session} s, interval 1 s)")
        self.assertLess(took, self.session + 1 + 15)
        harness.wait_for(lambda: self.site.all_published() and self.site.expected_ids()
                         <= {m["key"] for m in CLUSTER.consume(self.topic)}, 120,
                         "every published post in Kafka")
        ids = [m["key"] for m in CLUSTER.consume(self.topic)]
        print(f"failover: {len(ids) - len(set(ids))} duplicates of {len(set(ids))} posts "
              "(at-least-once)")
        self.assertEqual(a.stop(), 0, a.output()[-3000:])


if __name__ == "__main__":
    unittest.main()
