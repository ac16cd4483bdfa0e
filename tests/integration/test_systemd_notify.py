"""newsd speaks systemd's notification protocol (Type=notify) the way the unit expects:
READY=1, WATCHDOG=1 from the loop, STATUS=, RELOADING=1/READY=1 on SIGHUP, STOPPING=1.

The test plays systemd: it owns the NOTIFY_SOCKET (a Unix datagram socket in a temporary
directory), asks for a watchdog through WATCHDOG_USEC, runs `newsd run` against the real
broker, and reads the messages in the order they arrive.
Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import NEWSD_BIN, Kafka, Site, free_port, http_get, wait_for, write_config

KAFKA = Kafka()
WATCHDOG_USEC = 1_000_000  # newsd pings every 500 ms


# One broker for the module's tests.
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup


class NotifySocket:
    """The service manager's end: every datagram newsd sends, as a list of assignments."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []  # (monotonic time, [lines])

    def receive_until(self, predicate, timeout, what, proc=None):
        """Reads datagrams until predicate(messages) holds; fails at the deadline, or when
        `proc` exits first."""
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                     f"got {[m for _, m in self.messages]}")
            self.sock.settimeout(min(left, 0.5))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                if proc is not None and proc.poll() is not None:
                    raise AssertionError(f"newsd exited ({proc.returncode}) before {what}")
                continue
            self.messages.append((time.monotonic(), data.decode().split("\n")))
            yield self.messages[-1][1]

    def wait(self, predicate, timeout, what, proc=None, on_message=None):
        for lines in self.receive_until(predicate, timeout, what, proc):
            if on_message:
                on_message(lines)

    def close(self):
        self.sock.close()


def index_of(messages, assignment, start=0):
    for i in range(start, len(messages)):
        if assignment in messages[i][1]:
            return i
    return None


class SystemdNotifyTest(unittest.TestCase):
    def setUp(self):
        self.site = Site()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-notify-")
        self.port = free_port()
        self.config = os.path.join(self.tmp.name, "newsd.yaml")
        write_config(self.config, os.path.join(self.tmp.name, "state"), KAFKA.bootstrap,
                     [{"name": "sample", "url": self.site.url("feed.xml"), "format": "atom",
                       "follow": True, "timezone": "Asia/Shanghai", "interval": "1s"}],
                     topic="notify.{source}", metrics_port=self.port)
        self.notify = NotifySocket(self.tmp.name)
        self.log = tempfile.TemporaryFile(mode="w+")

    def tearDown(self):
        self.notify.close()
        self.site.close()
        self.tmp.cleanup()
        self.log.close()

    def start(self, **env):
        e = dict(os.environ)
        e.pop("WATCHDOG_PID", None)
        e.update({"NOTIFY_SOCKET": self.notify.path, **env})
        self.proc = subprocess.Popen([NEWSD_BIN, "run", "--config", self.config], env=e,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: self.proc.poll() is None and self.proc.kill())

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def test_ready_watchdog_status_reload_and_stopping_arrive_in_order(self):
        self.start(WATCHDOG_USEC=str(WATCHDOG_USEC))
        metrics_at_ready = []

        def on_message(lines):
            if "READY=1" in lines and not metrics_at_ready:
                metrics_at_ready.append(http_get(f"http://127.0.0.1:{self.port}/metrics")[0])

        # READY=1 comes first, and only once /metrics answers.
        self.notify.wait(lambda m: len(m) >= 1, 30, "the first message", self.proc, on_message)
        first = self.notify.messages[0][1]
        self.assertIn("READY=1", first, self.output())
        self.assertEqual(metrics_at_ready, [200])
        self.assertIn("STATUS=polling 1 sources", first)

        # The loop pings the watchdog at half the interval, again and again, and the status
        # line follows what the daemon does.
        self.notify.wait(
            lambda m: sum("WATCHDOG=1" in l for _, l in m) >= 5
            and any("STATUS=polling 1 sources; 4 posts delivered, 0 failed polls" in l
                    for _, l in m),
            60, "5 watchdog pings and a status with 4 posts delivered", self.proc)
        pings = [t for t, l in self.notify.messages if "WATCHDOG=1" in l]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertLess(max(gaps), WATCHDOG_USEC / 1e6, "a ping came later than the deadline")
        self.assertGreater(min(gaps), WATCHDOG_USEC / 1e6 / 8, "pings far too often")

        # SIGHUP: RELOADING=1 (with the monotonic time systemd's notify-reload wants), then
        # READY=1 again once the configuration was read.
        reload_from = len(self.notify.messages)
        self.proc.send_signal(signal.SIGHUP)
        self.notify.wait(lambda m: index_of(m, "READY=1", reload_from) is not None, 30,
                         "READY=1 after the reload", self.proc)
        reloading = index_of(self.notify.messages, "RELOADING=1", reload_from)
        self.assertIsNotNone(reloading)
        self.assertLess(reloading, index_of(self.notify.messages, "READY=1", reload_from))
        self.assertTrue(any(re.fullmatch(r"MONOTONIC_USEC=[1-9][0-9]*", a)
                            for a in self.notify.messages[reloading][1]))

        # SIGTERM: STOPPING=1, then a clean exit.
        self.proc.send_signal(signal.SIGTERM)
        self.notify.wait(lambda m: index_of(m, "STOPPING=1") is not None, 30, "STOPPING=1")
        self.assertEqual(self.proc.wait(timeout=60), 0, self.output())

        msgs = self.notify.messages
        ready, stopping = index_of(msgs, "READY=1"), index_of(msgs, "STOPPING=1")
        self.assertEqual(ready, 0)
        self.assertEqual(index_of(msgs, "READY=1", ready + 1),
                         index_of(msgs, "READY=1", reloading), "READY=1 only after a reload")
        self.assertLess(ready, index_of(msgs, "WATCHDOG=1"))
        self.assertLess(index_of(msgs, "WATCHDOG=1"), stopping)
        self.assertTrue(any(a.startswith("STATUS=") for a in msgs[stopping][1]))
        for _, lines in msgs:
            for a in lines:
                self.assertRegex(
                    a, r"^(READY|WATCHDOG|STOPPING|RELOADING)=1$|^STATUS=[^\n]+$|"
                    r"^MONOTONIC_USEC=[0-9]+$")

    def test_no_watchdog_pings_when_systemd_did_not_ask_for_them(self):
        # WATCHDOG_PID names another process: the watchdog is not ours (sd_watchdog_enabled).
        self.start(WATCHDOG_USEC=str(WATCHDOG_USEC), WATCHDOG_PID="1")
        self.notify.wait(lambda m: len(m) >= 1, 30, "READY=1", self.proc)
        self.assertIn("READY=1", self.notify.messages[0][1])
        # Long enough for several pings, had they been enabled.
        wait_for(lambda: 'result="new",source="sample"} 4' in
                 http_get(f"http://127.0.0.1:{self.port}/metrics")[1], 60, "4 new posts")
        wait_for(lambda: time.monotonic() - self.notify.messages[0][0] > 3 * WATCHDOG_USEC / 1e6,
                 10, "three watchdog intervals")
        self.proc.send_signal(signal.SIGTERM)
        self.notify.wait(lambda m: index_of(m, "STOPPING=1") is not None, 30, "STOPPING=1")
        self.assertEqual(self.proc.wait(timeout=60), 0, self.output())
        self.assertIsNone(index_of(self.notify.messages, "WATCHDOG=1"))


if __name__ == "__main__":
    unittest.main()
