"""The 3-node KRaft cluster of scripts/kafka/kafka (issue 21's proof runs on it): a record
produced with acks=all survives the loss of its partition's leader, and producing goes on
once the leadership moved; the killed node comes back into the in-sync replicas. The
consumer-group members of daemon/cluster run against it (their GoogleTest binary)."""
import os
import subprocess
import unittest

import harness

CLUSTER = harness.KafkaCluster()
setUpModule = CLUSTER.start
tearDownModule = CLUSTER.cleanup


def produce(topic, *values):
    """Produces `values` with acks=all; raises unless every one was acknowledged."""
    out = subprocess.run(
        ["kcat", "-b", CLUSTER.bootstrap, "-P", "-t", topic, "-X", "acks=all",
         "-X", "message.timeout.ms=30000", "-X", "topic.metadata.refresh.interval.ms=1000"],
        input="\n".join(values) + "\n", capture_output=True, text=True, timeout=90)
    if out.returncode != 0 or "fail" in out.stderr.lower() or "error" in out.stderr.lower():
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


if __name__ == "__main__":
    unittest.main()
