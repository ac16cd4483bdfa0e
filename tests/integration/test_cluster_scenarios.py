"""Issue 21's proof: three newsd instances share a loopback site's sources through a Kafka
consumer group on the 3-node KRaft cluster, with exactly-once delivery, while things happen.

Scenarios (each with its own post topic, state topic and group):
1. SIGKILL one instance, restart it; again (2 times here, 10 in the full run).
2. Scale 1 -> 3 -> 1 instances by start and SIGTERM (one at a time in the full run).
3. Kill the broker leading most of the state topic's partitions (the group's coordinator
   among equals), then bring it back.
4. A rolling upgrade: each instance in turn SIGTERMed and started again.

Every instance sends its own User-Agent (`newsd-it/a` ...), and the site logs every request
(time, source, agent). An event (kill, start, stop, broker kill) opens a hand-over window that
closes once the group settled: every live instance ready, the partitions they own summing to
the state topic's, the same for 2 s; then every source must be polled again (none owned by
nobody). Outside those windows no source may be polled by two instances (an overlap: one
agent's request between two of another's for one source). Posts keep arriving throughout;
once they stop and everything is committed, a read_committed consumer must see every post
the site published once: 0 lost, 0 duplicates.

Measured and reported per event: the hand-over time (from the event until every source the
instance had polled was polled again, by another instance after a SIGKILL or SIGTERM that
scales down, by anyone in a restart) and the settle time (until the group settled); per
scenario the longest time a source went unpolled.

CI runs a quick version; NEWSD_CLUSTER_FULL=1 (scripts/cluster-scenarios) the full one (300
sources, 10 kills). NEWSD_CLUSTER_REPORT=FILE appends the tables to FILE. A failed scenario
(any with NEWSD_CLUSTER_KEEP=1) keeps its daemons' logs, the site's access log and the
events in the directory it names.
"""
import bisect
import collections
import datetime
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from news_site import NewsSite

FULL = os.environ.get("NEWSD_CLUSTER_FULL") == "1"
SOURCES = 300 if FULL else 90
KILLS = 10 if FULL else 2
INTERVAL = 2 if FULL else 1  # seconds between two polls of a source
SESSION = 6  # seconds: the brokers' group.min.session.timeout.ms
PARTITIONS = 12
POST_PERIOD = 6.0 if FULL else 3.0  # a new post at every source every this many seconds
BROKER_DOWN = 30 if FULL else 10  # seconds the killed broker stays down
STABLE = 2.0  # seconds the group's ownership must not change to count as settled
# A SIGKILLed instance's sources must be polled again within the session timeout plus one
# interval; the slack covers the restore of the moved partitions and a loaded machine.
HANDOVER_SLACK = 20
NAMES = ("a", "b", "c")

CLUSTER = harness.KafkaCluster()
SUMMARY = []
DETAILS = []
_MIN_ISR_CHECKED = []


def setUpModule():
    CLUSTER.start()


def tearDownModule():
    CLUSTER.cleanup()
    text = report_tables()
    print("\n" + text)
    if os.environ.get("NEWSD_CLUSTER_REPORT"):
        with open(os.environ["NEWSD_CLUSTER_REPORT"], "a", encoding="utf-8") as f:
            f.write(text + "\n")


def report_tables():
    mode = "full" if FULL else "quick"
    lines = [f"### cluster scenarios ({mode}: {SOURCES} sources, 3 instances, 3 brokers, "
             f"{PARTITIONS} state partitions, exactly_once, interval {INTERVAL}s, "
             f"session_timeout {SESSION}s)", "",
             "| scenario | hand-over s (per event) | settled s (per event) | longest unpolled s "
             "| overlaps | exits | posts | lost | duplicates |",
             "|---|---|---|---|---|---|---|---|---|"] + SUMMARY
    lines += ["", "| scenario | event | at s | sources | hand-over s | settled s |",
              "|---|---|---|---|---|---|"] + DETAILS
    return "\n".join(lines)


def fmt(values):
    shown = [f"{v:.1f}" for v in values if v is not None]
    if len(shown) > 4:
        vs = sorted(v for v in values if v is not None)
        return f"median {vs[len(vs) // 2]:.1f}, max {vs[-1]:.1f} (n={len(vs)})"
    return ", ".join(shown) or "-"


def check_min_insync(topic):
    """The topic's min.insync.replicas, as the brokers describe it (Kafka's ConfigCommand)."""
    script = (f'source "{harness.SOURCE_DIR}/scripts/lib.sh"; java -cp "$KAFKA_LIBS/*" '
              f'kafka.admin.ConfigCommand --bootstrap-server {CLUSTER.bootstrap} --describe '
              f'--all --entity-type topics --entity-name {topic}')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    for word in out.stdout.split():
        if word.startswith("min.insync.replicas="):
            return int(word.split("=")[1])
    raise AssertionError(f"no min.insync.replicas for {topic}: {out.stdout}{out.stderr}")


class Instance:
    """One `newsd run`, its log in a file that outlives it."""

    def __init__(self, name, config, port, log_path):
        self.name, self.port, self.agent = name, port, f"newsd-it/{name}"
        self.log_path = log_path
        self.log = open(log_path, "a", encoding="utf-8")
        self.proc = subprocess.Popen([harness.NEWSD_BIN, "run", "--config", config],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=3000):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-n:]

    def owned(self):
        """(partitions, sources) its /readyz says it owns; None until ready."""
        status, body = harness.http_get(f"http://127.0.0.1:{self.port}/readyz")
        for line in body.splitlines():
            if status == 200 and line.startswith("cluster: "):
                words = line.split()
                return int(words[1]), int(words[3])
        return None


class ClusterScenario(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="newsd-cluster-scen-")
        # Posts arrive until stop_arrivals(): the cap is never reached in a scenario.
        posts = 3000
        self.site = NewsSite(SOURCES, posts=posts, arrival=posts * POST_PERIOD, access_log=True)
        name = self._testMethodName.split("_")[1]
        self.topic, self.state_topic, self.group = f"cs-{name}", f"cs-state-{name}", f"cs-{name}"
        self.ports = {n: harness.free_port() for n in NAMES}
        self.instances = {}  # name -> the Instance that runs (or last ran) under it
        self.running = set()  # names that should be running: supervised
        self.exits = []  # (name, exit code, wall time) of unexpected exits
        self.windows = []  # [start, end] (monotonic) of hand-overs; end None while open
        self.events = []  # (label, start, sources, hand-over s, settled s)
        self.timeline = []  # the events with their wall-clock (UTC) time, for the daemons' logs
        self.start_of_run = None
        self.last_settled = None  # when the group last settled (monotonic)
        self.kept = os.environ.get("NEWSD_CLUSTER_KEEP") == "1"
        self.reported = False
        self.began = time.monotonic()

    def tearDown(self):
        for inst in self.instances.values():
            if inst.alive():
                inst.proc.kill()
                inst.proc.wait()
            inst.log.close()
        self.site.close()
        took = time.monotonic() - self.began
        print(f"{self._testMethodName}: {took:.0f} s")
        if not self._outcome.success and not self.reported:
            SUMMARY.append(f"| {self._testMethodName} | FAILED (see its output) | | | | "
                           f"{', '.join(f'{n} {rc}' for n, rc, _ in self.exits) or '0'} | | | |")
        if self.kept or not self._outcome.success or self.exits:
            with open(os.path.join(self.tmp, "access.log"), "w", encoding="utf-8") as f:
                for t, i, agent in self.site.requests:
                    f.write(f"{t:.3f} s{i} {agent}\n")
            with open(os.path.join(self.tmp, "events.log"), "w", encoding="utf-8") as f:
                for line in self.timeline:
                    f.write(line + "\n")
                for w in self.windows:
                    f.write(f"window {w}\n")
            print(f"logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- instances ----------------------------------------------------------------------

    def config(self, name):
        path = os.path.join(self.tmp, name + ".yaml")
        lines = [f"state_dir: {os.path.join(self.tmp, name)}",
                 "log_level: info",
                 f"metrics: {{listen: '127.0.0.1:{self.ports[name]}'}}",
                 f"kafka: {{brokers: '{CLUSTER.bootstrap}', topic: '{self.topic}', "
                 # No message.timeout.ms: newsd's transaction.timeout.ms follows the session
                 # timeout, and librdkafka refuses a message timeout beyond it.
                 "max_in_flight: 500, delivery: exactly_once}",
                 f"state: {{backend: kafka, topic: '{self.state_topic}', "
                 f"partitions: {PARTITIONS}, replication_factor: 3}}",
                 f"cluster: {{group: '{self.group}', instance: '{name}', "
                 f"session_timeout: {SESSION}s}}",
                 f"http: {{user_agent: 'newsd-it/{name}', timeout: 2s, connect_timeout: 1s, "
                 "host_spacing: 0s, max_backoff: 2s}",
                 "sources:"]
        for i in range(SOURCES):
            lines.append(f"  - {{name: s{i}, url: '{self.site.url(i)}', format: atom, "
                         f"interval: {INTERVAL}s}}")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self, name):
        if name in self.instances:
            self.instances[name].log.close()
        self.instances[name] = Instance(name, self.config(name), self.ports[name],
                                        os.path.join(self.tmp, name + ".log"))
        self.running.add(name)
        return self.instances[name]

    def sigkill(self, name):
        self.running.discard(name)
        self.instances[name].proc.kill()
        self.instances[name].proc.wait()

    def sigterm(self, name):
        """SIGTERM; returns the exit code (0 expected: the partitions were released)."""
        self.running.discard(name)
        inst = self.instances[name]
        inst.proc.send_signal(signal.SIGTERM)
        return inst.proc.wait(timeout=120)

    def supervise(self):
        """Like systemd's Restart=on-failure: an instance that should run and exited is
        started again (counted, and a hand-over window opens)."""
        for name in sorted(self.running):
            inst = self.instances[name]
            if not inst.alive():
                self.exits.append((name, inst.proc.returncode, wall()))
                print(f"{wall()} instance {name} exited {inst.proc.returncode}; restarting:\n"
                      f"{inst.tail(2000)}")
                self.windows.append([time.monotonic() - 1.0, None])
                self.note(f"{name} exited {inst.proc.returncode}: started again")
                self.start(name)

    def wait(self, predicate, timeout, what):
        """wait_for, supervising; the instances' last log lines when it times out."""
        def check():
            self.supervise()
            return predicate()
        try:
            return harness.wait_for(check, timeout, what)
        except AssertionError as e:
            self.kept = True
            logs = "\n".join(f"--- {n}\n{i.tail(2000)}" for n, i in self.instances.items())
            raise AssertionError(f"{wall()} {e}\n{logs}") from None

    def pause(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.supervise()
            time.sleep(0.2)

    # ---- the group ------------------------------------------------------------------------

    def ownership(self, members):
        """{name: (partitions, sources)} when the group settled with exactly `members` live:
        every one ready and owning a partition, together all partitions and sources."""
        live = {n for n in self.running if self.instances[n].alive()}
        if live != set(members):
            return None
        owned = {n: self.instances[n].owned() for n in sorted(members)}
        if any(o is None or o[0] == 0 for o in owned.values()):
            return None
        if sum(o[0] for o in owned.values()) != PARTITIONS or \
                sum(o[1] for o in owned.values()) != SOURCES:
            return None
        return owned

    def readyz(self):
        """What each instance's /readyz says (its last line of the cluster), for failures."""
        said = {}
        for n, inst in sorted(self.instances.items()):
            status, body = harness.http_get(f"http://127.0.0.1:{inst.port}/readyz")
            said[n] = f"{status} {' / '.join(body.splitlines())}" if inst.alive() else \
                f"exited {inst.proc.returncode}"
        return said

    def settle(self, members, since, timeout=180, not_before=0.0):
        """Waits until the group settled with `members` and stayed so for STABLE seconds
        (from `not_before` on at the earliest); closes the open hand-over windows there.
        Returns the seconds from `since`."""
        state = {"owned": False, "at": None}  # False: nothing seen yet

        def stable():
            owned = self.ownership(members)
            now = time.monotonic()
            if now < not_before:
                return False
            if owned != state["owned"]:
                state["owned"], state["at"] = owned, now
            return owned is not None and now - state["at"] >= STABLE
        try:
            self.wait(stable, timeout, f"the group to settle with {sorted(members)}")
        except AssertionError as e:
            raise AssertionError(f"/readyz: {self.readyz()}\n{e}") from None
        for w in self.windows:
            if w[1] is None:
                w[1] = state["at"]
        self.all_polled_since(state["at"])
        return state["at"] - since

    def all_polled_since(self, t0):
        """Every source is polled after `t0` (no source owned by nobody); on a timeout, says
        which were not and who polled them last."""
        everyone = set(range(SOURCES))
        try:
            harness.wait_for(lambda: self.supervise() or self.repolled(everyone, t0),
                             3 * INTERVAL + 30, "every source polled after the group settled")
        except AssertionError as e:
            self.kept = True
            since = {i for _, i, _ in self.requests_since(t0)}
            last = {}
            for t, i, a in self.site.requests:
                last[i] = (t, a)
            missing = [f"s{i} (last {last[i][1]} at {last[i][0] - t0:+.1f} s)" if i in last
                       else f"s{i} (never)" for i in sorted(everyone - since)]
            raise AssertionError(f"{wall()} {e}: {len(missing)} not polled since: "
                                 f"{', '.join(missing[:20])}; /readyz: {self.readyz()}") from None

    def bring_up(self, members):
        """The first instance alone (it creates the state topic), then the others."""
        t = time.monotonic()
        self.start(members[0])
        self.settle(members[:1], t)
        for name in members[1:]:
            self.start(name)
        self.settle(members, t)
        self.start_of_run = time.monotonic()
        self.check_replication()

    def check_replication(self):
        def replicated(topic, count):
            parts = CLUSTER.partitions(topic)
            return len(parts) == count and all(len(p["replicas"]) == 3 for p in parts.values())
        self.wait(lambda: replicated(self.state_topic, PARTITIONS), 60,
                  "the state topic with 12 partitions of 3 replicas")
        self.wait(lambda: replicated(self.topic, 1), 60, "the post topic with 3 replicas")
        if not _MIN_ISR_CHECKED:
            for topic in (self.state_topic, self.topic):
                self.assertEqual(check_min_insync(topic), 2, topic)
            _MIN_ISR_CHECKED.append(True)

    # ---- the access log -------------------------------------------------------------------

    def requests_since(self, since):
        """The site's requests after `since` (its log is in time order)."""
        log = self.site.requests
        return log[bisect.bisect_right(log, (since,)):]

    def polled_by(self, agent, since):
        return {i for _, i, a in self.requests_since(since) if a == agent}

    def repolled(self, sources, since, excluded=()):
        """Seconds from `since` until every one of `sources` was requested again (by an agent
        not in `excluded`); None while one was not."""
        first = {}
        for t, i, a in self.requests_since(since):
            if i in sources and a not in excluded and i not in first:
                first[i] = t
        if len(first) < len(sources):
            return None
        return max([1e-3] + [t - since for t in first.values()])

    def note(self, what):
        self.timeline.append(f"{wall()} {what}")

    def event(self, label, at, sources=None, handover=None, settled=None):
        self.events.append((label, at, sources, handover, settled))
        clock = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
            seconds=time.monotonic() - at)
        self.timeline.append(f"{clock:%H:%M:%S.%f} {label}: sources {sources}, hand-over "
                             f"{handover}, settled {settled}")

    def quiet(self):
        """A stable stretch between events: long enough for every owned source to be polled
        (twice) and for the kill to land at a random moment of a transaction."""
        self.pause(3 * INTERVAL + random.uniform(0.5, 2.0))

    def takeover(self, names, do, label, members_after):
        """Runs `do` (a SIGKILL or SIGTERM of each of `names`) and measures the hand-over of
        the sources they polled to the others, then the group's settling."""
        agents = {self.instances[n].agent for n in names}
        sources = set()
        for n in names:
            polled = self.polled_by(self.instances[n].agent, self.last_settled)
            owned = self.instances[n].owned()
            if owned is not None:
                self.assertEqual(len(polled), owned[1], f"{n} polled what /readyz said it owns")
            sources |= polled
        t = time.monotonic()
        self.windows.append([t, None])
        self.note(label)
        codes = [do(n) for n in names]
        handover = self.wait(lambda: self.repolled(sources, t, excluded=agents),
                             SESSION + INTERVAL + 120, f"the others to poll {names}'s sources")
        settled = self.settle(members_after, t)
        self.last_settled = t + settled
        self.event(label, t, len(sources), handover, settled)
        return codes, handover

    def joined(self, names, label, members_after, restart_of=None):
        """Starts `names` and measures the settling (and, for a restart, how long the
        sources went unpolled)."""
        t = time.monotonic()
        self.windows.append([t, None])
        self.note(label)
        for n in names:
            self.start(n)
        settled = self.settle(members_after, t)
        self.last_settled = t + settled
        handover = None
        if restart_of is not None:
            sources, since = restart_of
            handover = self.wait(lambda: self.repolled(sources, since), 120,
                                 f"{names}'s sources polled again")
        self.event(label, restart_of[1] if restart_of else t,
                   len(restart_of[0]) if restart_of else None, handover,
                   settled + (t - restart_of[1] if restart_of else 0.0))

    # ---- the outcome ----------------------------------------------------------------------

    def overlaps(self, end):
        """(overlaps outside the windows, overlaps inside them, examples of the first): an
        overlap is a source polled by one agent, then another, then the first again, within
        one stretch between windows (outside) or within one window (inside)."""
        cuts = []
        for s, e in sorted((w[0], w[1] if w[1] is not None else end) for w in self.windows):
            if cuts and s <= cuts[-1][1]:
                cuts[-1][1] = max(cuts[-1][1], e)
            else:
                cuts.append([s, e])
        stretches, at = [], self.start_of_run
        for s, e in cuts:
            if s > at:
                stretches.append((at, s, False))
            stretches.append((max(s, at), e, True))
            at = max(at, e)
        if end > at:
            stretches.append((at, end, False))
        starts = [s for s, _, _ in stretches]
        agents = collections.defaultdict(list)  # (stretch, source) -> agents in time order
        for t, i, a in self.site.requests:
            k = bisect.bisect_right(starts, t) - 1
            if k >= 0 and t < stretches[k][1]:
                seq = agents[(k, i)]
                if not seq or seq[-1] != a:
                    seq.append(a)
        # A source that moves is polled by one agent, then another; back and forth (one
        # agent's polls between two of another's) means two instances polled it at once.
        overlapping = [(stretches[k], i, a) for (k, i), a in agents.items()
                       if len(a) > len(set(a))]
        outside = [o for o in overlapping if not o[0][2]]
        return len(outside), len(overlapping) - len(outside), outside[:5]

    def longest_unpolled(self, end):
        last = {}
        longest = 0.0
        for t, i, _ in self.site.requests:
            if self.start_of_run <= t <= end:
                longest = max(longest, t - last.get(i, self.start_of_run))
                last[i] = t
        return max([longest] + [end - t for t in last.values()])

    def committed_ids(self):
        return [m["key"] for m in CLUSTER.consume(self.topic, committed=True)]

    def finish(self, scenario):
        """Stops the arrival, waits for every post to be committed, stops the instances and
        reports; asserts 0 lost, 0 duplicates, 0 overlaps outside the windows."""
        end = time.monotonic()
        self.site.stop_arrivals()
        expected = self.site.expected_ids()
        self.wait(lambda: expected <= set(self.committed_ids()), 300,
                  "every published post committed")
        codes = {n: self.sigterm(n) for n in sorted(self.running)}
        ids = self.committed_ids()
        lost = expected - set(ids)
        duplicates = len(ids) - len(set(ids))
        unknown = set(ids) - expected
        outside, inside, examples = self.overlaps(end)
        handovers = [e[3] for e in self.events]
        settles = [e[4] for e in self.events]
        exits = ", ".join(f"{n} {rc}" for n, rc, _ in self.exits) or "0"
        self.reported = True
        SUMMARY.append(f"| {scenario} | {fmt(handovers)} | {fmt(settles)} | "
                       f"{self.longest_unpolled(end):.1f} | {outside} ({inside} in windows) | "
                       f"{exits} | {len(expected)} | {len(lost)} | {duplicates} |")
        for label, at, sources, handover, settled in self.events:
            DETAILS.append(f"| {scenario} | {label} | {at - self.start_of_run:.1f} | "
                           f"{'-' if sources is None else sources} | "
                           f"{'-' if handover is None else f'{handover:.1f}'} | "
                           f"{settled:.1f} |")
        print(f"{scenario}: {len(expected)} posts, {len(lost)} lost, {duplicates} duplicates, "
              f"{outside} overlaps outside hand-over windows ({inside} inside), exits: {exits}")
        for stretch, source, agents in examples:
            print(f"  overlap: s{source} polled by {agents} in "
                  f"{stretch[0] - self.start_of_run:.1f}..{stretch[1] - self.start_of_run:.1f} s")
        if lost or duplicates or outside:
            self.kept = True
        self.assertEqual(sorted(lost)[:20], [], f"{scenario}: lost posts ({len(lost)})")
        self.assertEqual(duplicates, 0, f"{scenario}: duplicates for a read_committed consumer")
        self.assertEqual(unknown, set(), f"{scenario}: posts nobody published")
        self.assertEqual(outside, 0, f"{scenario}: sources polled by two instances outside "
                         "hand-over windows")
        for n, rc in codes.items():
            self.assertEqual(rc, 0, f"{n} at SIGTERM:\n{self.instances[n].tail()}")

    # ---- the scenarios --------------------------------------------------------------------

    def test_1_sigkill_and_restart(self):
        self.bring_up(list(NAMES))
        self.last_settled = self.start_of_run
        took = []
        for k in range(KILLS):
            name = NAMES[k % 3]
            self.quiet()
            rest = [n for n in NAMES if n != name]
            _, handover = self.takeover([name], self.sigkill, f"SIGKILL {name}", rest)
            took.append(handover)
            self.quiet()
            self.joined([name], f"restart {name}", list(NAMES))
        self.quiet()
        self.finish(f"1. SIGKILL + restart x{KILLS}")
        for t in took:
            self.assertLess(t, SESSION + INTERVAL + HANDOVER_SLACK,
                            "a killed instance's sources polled again within session_timeout "
                            "+ one interval (+ slack)")

    def test_2_scale_1_to_3_to_1(self):
        # The full run goes one instance at a time; the quick one in one step each way.
        self.bring_up(["a"])
        self.last_settled = self.start_of_run
        ups = [["b"], ["c"]] if FULL else [["b", "c"]]
        members = ["a"]
        for names in ups:
            self.quiet()
            before, members = len(members), members + names
            self.joined(names, f"start {'+'.join(names)} ({before} -> {len(members)})",
                        members)
        codes = []
        for names in reversed(ups):
            self.quiet()
            before, members = len(members), [n for n in members if n not in names]
            rcs, _ = self.takeover(names, self.sigterm,
                                   f"SIGTERM {'+'.join(names)} ({before} -> {len(members)})",
                                   members)
            codes += rcs
        self.quiet()
        self.finish("2. scale 1 -> 3 -> 1")
        self.assertEqual(codes, [0] * len(codes), "exit codes at SIGTERM")

    def test_3_broker_leading_the_state_topic_killed(self):
        self.bring_up(list(NAMES))
        self.last_settled = self.start_of_run
        self.quiet()
        # Of the nodes leading the most state partitions, the group's coordinator if it is
        # one: its loss also moves the group (a member may lose its partitions to a session
        # timeout and get them back).
        leaders = collections.Counter(
            p["leader"] for p in CLUSTER.partitions(self.state_topic).values())
        led = max(leaders.values())
        coordinator = CLUSTER.leader_of("__consumer_offsets", coordinator_partition(self.group))
        node = coordinator if leaders.get(coordinator) == led else leaders.most_common(1)[0][0]
        role = " and the group's coordinator" if node == coordinator else ""
        t = time.monotonic()
        self.windows.append([t, None])
        self.note(f"SIGKILL broker {node}{role}")
        CLUSTER.kill(node)
        try:
            def moved():
                parts = CLUSTER.partitions(self.state_topic)
                return len(parts) == PARTITIONS and all(
                    p["leader"] not in (node, -1, None) for p in parts.values())
            self.wait(moved, 120, f"the state topic's leaders to move off node {node}")
            moved_after = time.monotonic() - t
            # Recovery: the first posts that appear after the kill are committed.
            after = self.site.visible()
            batch = {f"s{i}-p{after}" for i in range(SOURCES)}
            self.wait(lambda: self.site.visible() > after, POST_PERIOD + 5, "a post after the kill")
            # A member whose group coordinator was on the node notices within a session.
            settled = self.settle(list(NAMES), t, not_before=t + SESSION + 2)
            recovered = self.wait(
                lambda: batch <= set(self.committed_ids()) and time.monotonic() - t, 240,
                "the posts that arrived after the kill committed")
            self.event(f"SIGKILL broker {node} (led {led}/{PARTITIONS} state partitions{role}, "
                       f"leaders moved in {moved_after:.1f} s; hand-over = the posts that "
                       "arrived after it committed)", t, SOURCES, recovered, settled)
            self.pause(max(0.0, BROKER_DOWN - (time.monotonic() - t)))
        finally:
            t = time.monotonic()
            self.windows.append([t, None])
            self.note(f"restart broker {node}")
            CLUSTER.restart(node)
        self.wait(lambda: all(node in p["isrs"]
                              for p in CLUSTER.partitions(self.state_topic).values()),
                  180, f"node {node} back in the state topic's in-sync replicas")
        back = time.monotonic() - t
        settled = self.settle(list(NAMES), t, not_before=t + SESSION + 2)
        self.event(f"restart broker {node} (in sync after {back:.1f} s)", t, None, None,
                   settled)
        self.quiet()
        self.finish(f"3. broker {node} killed {BROKER_DOWN} s")

    def test_4_rolling_restart(self):
        self.bring_up(list(NAMES))
        self.last_settled = self.start_of_run
        for name in NAMES:
            self.quiet()
            sources = self.polled_by(f"newsd-it/{name}", self.last_settled)
            t = time.monotonic()
            self.windows.append([t, None])
            self.note(f"SIGTERM {name}")
            rc = self.sigterm(name)
            self.assertEqual(rc, 0, f"{name} at SIGTERM:\n{self.instances[name].tail()}")
            self.joined([name], f"SIGTERM + start {name}", list(NAMES), restart_of=(sources, t))
        self.quiet()
        self.finish("4. rolling restart")


def coordinator_partition(group, partitions=50):
    """The partition of __consumer_offsets whose leader coordinates `group`: Kafka's
    Utils.abs(group.hashCode()) % offsets.topic.num.partitions (50 by default)."""
    h = 0
    for c in group:  # String.hashCode over UTF-16 units: the same as ord() for ASCII names
        h = (31 * h + ord(c)) & 0xffffffff
    h = h - (1 << 32) if h >= 1 << 31 else h
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def wall():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


if __name__ == "__main__":
    unittest.main()
