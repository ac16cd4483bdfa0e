"""newsd against a server that misbehaves on purpose (hostile_server.py) and a real broker.

Each case asserts the documented outcome and the metric that counts it. Most cases share one
`newsd run` (one source per case, 1 s interval, 3 s timeout, 1 MiB body limit, no host
spacing) so they progress in parallel; conditional GET across a restart and host spacing
need their own configuration. Every wait is a condition polled against a deadline.

Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done.
"""
import os
import tempfile
import time
import unittest

from harness import (Daemon, Kafka, free_port, http_get, metric, run_newsd, scrape, wait_for,
                     write_config)
from hostile_server import PASSWD_MARK, HostileServer

KAFKA = Kafka()


# One broker for the module's tests.
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup


HTTP = {"timeout": "3s", "connect_timeout": "2s", "max_body": "1MiB", "host_spacing": "0s",
        "max_backoff": "2s"}

# name -> path on the shared server; `slow` ones get a server of their own so that they do
# not hold newsd's per-host connections (4) while the quick cases run.
CASES = {
    "ok-200": "/status/200/ok", "ok-203": "/status/203/ok",
    "moved-301": "/status/301/m", "moved-302": "/status/302/m", "moved-303": "/status/303/m",
    "moved-307": "/status/307/m", "moved-308": "/status/308/m",
    "chain-5": "/redirect/5/five", "chain-6": "/redirect/6/six",
    "gone-404": "/status/404/x", "gone-410": "/status/410/x", "limit-429": "/status/429/x",
    "error-500": "/status/500/x", "error-502": "/status/502/x", "error-503": "/status/503/x",
    "cond": "/etag/cond",
    "retry-secs": "/retry-after/30/x", "retry-date": "/retry-after-date/30/x",
    "cached": "/cache/6/x", "control": "/feed/control",
    "endless": "/endless/x", "huge": "/huge/x", "bomb": "/gzip-bomb/x",
    "loop": "/redirect-loop/x", "to-file": "/redirect-file/x", "to-gopher": "/redirect-gopher/x",
    "reset": "/reset/x", "malformed": "/malformed/x",
}
SLOW = {"drip": "/drip/x"}


class MisbehavingServerTest(unittest.TestCase):
    """One daemon, one source per misbehaviour."""

    @classmethod
    def setUpClass(cls):
        cls.server = HostileServer()
        cls.slow = HostileServer()
        cls.tmp = tempfile.TemporaryDirectory(prefix="newsd-polling-")
        cls.port = free_port()
        config = os.path.join(cls.tmp.name, "newsd.yaml")
        sources = [{"name": n, "url": cls.server.url(p), "format": "atom", "interval": "1s"}
                   for n, p in CASES.items()]
        sources += [{"name": n, "url": cls.slow.url(p), "format": "atom", "interval": "1s"}
                    for n, p in SLOW.items()]
        write_config(config, os.path.join(cls.tmp.name, "state"), KAFKA.bootstrap, sources,
                     topic="pol.{source}", metrics_port=cls.port, http=HTTP)
        cls.daemon = Daemon(config)

    @classmethod
    def tearDownClass(cls):
        rc = cls.daemon.stop()
        out = cls.daemon.output()
        cls.server.close()
        cls.slow.close()
        cls.tmp.cleanup()
        if rc != 0:
            raise AssertionError(f"newsd exited {rc}:\n{out[-4000:]}")

    # -- helpers --------------------------------------------------------------------------

    def value(self, name, **labels):
        return metric(scrape(self.port), name, **labels)

    def wait_metric(self, name, at_least=1, timeout=30, **labels):
        """Waits until the metric is >= at_least; returns its value."""
        return wait_for(lambda: (lambda v: v if v is not None and v >= at_least else None)(
            self.value(name, **labels)), timeout, f"{name}{labels} >= {at_least}")

    def outcome(self, source, outcome, at_least=1, timeout=30):
        return self.wait_metric("newsd_fetches_total", at_least, timeout, source=source,
                                outcome=outcome)

    def requests(self, source, at_least, timeout=30):
        server = self.slow if source in SLOW else self.server
        path = {**CASES, **SLOW}[source]
        return wait_for(lambda: server.count(path) >= at_least and server.count(path),
                        timeout, f"{at_least} requests to {path}")

    def records(self, source):
        return KAFKA.consume(f"pol.{source}")

    # -- 2xx ------------------------------------------------------------------------------

    def test_2xx_is_parsed_published_once_and_polled_again(self):
        for source in ("ok-200", "ok-203"):
            code = source[-3:]
            self.outcome(source, code, at_least=3)
            wait_for(lambda: len(self.records(source)) >= 2, 30, f"records of {source}")
            # Polled three times, published once: the seen-store holds them.
            self.assertEqual(sorted(m["key"] for m in self.records(source)),
                             [f"urn:hostile:status-{code}-ok:{i}" for i in (0, 1)])
            self.assertEqual(self.value("newsd_posts_total", source=source, result="new"), 2)
            self.assertEqual(self.value("newsd_source_consecutive_failures", source=source), 0)

    # -- 3xx ------------------------------------------------------------------------------

    def test_3xx_redirects_are_followed_up_to_five(self):
        for code in (301, 302, 303, 307, 308):
            source = f"moved-{code}"
            self.outcome(source, "200")
            self.assertGreaterEqual(self.server.count(f"/feed/status/{code}/m"), 1)
            wait_for(lambda: len(self.records(source)) == 2, 30, f"records of {source}")
            self.assertIsNone(self.value("newsd_fetches_total", source=source, outcome=str(code)))
        # Five hops are allowed, a sixth is a protocol error (and nothing is published).
        self.outcome("chain-5", "200")
        self.assertGreaterEqual(self.server.count("/redirect/0/five"), 1)
        self.outcome("chain-6", "protocol", at_least=2)
        self.assertGreaterEqual(self.server.count("/redirect/1/six"), 2)
        self.assertEqual(self.server.count("/redirect/0/six"), 0)
        self.assertEqual(self.records("chain-6"), [])

    # -- 4xx / 5xx ------------------------------------------------------------------------

    def test_4xx_and_5xx_count_as_failures_and_the_source_keeps_being_retried(self):
        cases = {"gone-404": "404", "gone-410": "410", "limit-429": "429", "error-500": "500",
                 "error-502": "502", "error-503": "503"}
        for source, code in cases.items():
            self.outcome(source, code, at_least=3)
            self.wait_metric("newsd_source_consecutive_failures", 3, source=source)
            before = self.requests(source, 3)
            # Never dropped: the requests go on (backoff is capped at http.max_backoff = 2s).
            self.requests(source, before + 1, timeout=15)
            self.assertIsNone(self.value("newsd_fetches_total", source=source, outcome="200"))
            self.assertIsNone(self.value("newsd_source_last_success_timestamp_seconds",
                                         source=source))
        # Backoff: about 1s after the first failure, then doubling to the 2s cap.
        starts = self.server.starts(CASES["error-500"])[:4]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertLess(gaps[0], 1.75, gaps)
        for g in gaps[1:]:
            self.assertGreaterEqual(g, 1.75, gaps)
            self.assertLess(g, 3.7, gaps)

    # -- conditional GET ------------------------------------------------------------------

    def test_conditional_get_sends_validators_and_a_304_publishes_nothing(self):
        self.outcome("cond", "not_modified", at_least=2)
        etag, modified = self.server.etag_of(CASES["cond"])
        sent = self.server.conditional[CASES["cond"]]
        self.assertEqual(sent[0], (None, None))
        for inm, ims in sent[1:]:
            self.assertEqual(inm, etag)
            self.assertEqual(ims, modified)
        self.assertEqual(self.value("newsd_fetches_total", source="cond", outcome="200"), 1)
        # A 304 is not parsed and nothing is published again.
        self.assertEqual(self.value("newsd_posts_total", source="cond", result="parsed"), 2)
        self.assertEqual(len(self.records("cond")), 2)
        self.assertEqual(self.value("newsd_source_consecutive_failures", source="cond"), 0)

    # -- Retry-After, Cache-Control -------------------------------------------------------

    def assert_retry_after_honoured(self, source, outcome, seconds):
        path = CASES[source]
        self.outcome(source, outcome)
        first = self.server.first(path)
        due = self.wait_metric("newsd_source_next_poll_timestamp_seconds", 1, source=source)
        # Retry-After beats the interval (1s) and the backoff cap (2s). An HTTP date has
        # whole seconds, hence the slack.
        self.assertGreaterEqual(due, first.wall + seconds - 2)
        self.assertLessEqual(due, first.wall + seconds * 1.1 + 2)
        return path

    def test_retry_after_in_seconds_and_as_an_http_date_is_honoured(self):
        paths = [self.assert_retry_after_honoured("retry-secs", "429", 30),
                 self.assert_retry_after_honoured("retry-date", "503", 30)]
        # Meanwhile a 1s source is polled three more times; the server sees no second request.
        control = self.requests("control", 1)
        self.requests("control", control + 3, timeout=20)
        for path in paths:
            self.assertEqual(self.server.count(path), 1, path)

    def test_cache_control_max_age_lengthens_the_interval(self):
        self.outcome("cached", "200")
        first = self.server.first(CASES["cached"])
        due = self.wait_metric("newsd_source_next_poll_timestamp_seconds", 1, source="cached")
        self.assertGreaterEqual(due, first.wall + 6 * 0.9 - 0.5)  # max-age=6, jitter 0.9..1.1
        starts = wait_for(lambda: (lambda s: s if len(s) >= 2 else None)(
            self.server.starts(CASES["cached"])), 30, "a second request for /cache/6")
        self.assertGreaterEqual(starts[1] - starts[0], 6 * 0.9 - 0.1)
        # The control source with the same 1s interval and no Cache-Control is polled often.
        self.assertGreaterEqual(self.server.count(CASES["control"]), 3)

    # -- slow, endless, huge, compressed bodies --------------------------------------------

    def test_a_slow_drip_times_out_and_one_source_never_has_two_requests_in_flight(self):
        self.outcome("drip", "timeout", at_least=2, timeout=60)
        # Each drip lasts the 3s timeout while the interval is 1s: a second request started
        # before the first ended would show here.
        self.assertEqual(self.slow.max_active[SLOW["drip"]], 1)
        self.assertGreaterEqual(self.value("newsd_source_consecutive_failures", source="drip"), 2)

    def test_an_endless_body_stops_at_max_body(self):
        # 1 MiB arrives in far less than the 3s timeout, so the body limit ends it: too_large.
        self.outcome("endless", "too_large", at_least=2)
        self.assertIsNone(self.value("newsd_fetches_total", source="endless", outcome="timeout"))

    def test_a_huge_body_is_refused_without_downloading_it(self):
        self.outcome("huge", "too_large", at_least=2)
        fetches = self.value("newsd_fetches_total", source="huge")
        # Content-Length says 100 MB: refused before the body. The server only gets what fits
        # in the socket buffers into the connection before it is closed: a few MB at most.
        requests = self.server.count(CASES["huge"])
        sent = self.server.bytes_sent.get(CASES["huge"], 0)
        self.assertLess(sent / requests, 10e6, (sent, requests))
        # Its Content-Length is refused before any body byte is taken.
        self.assert_bytes_counted_up_to_max_body("huge", some=False)
        self.assert_memory_stays_small()

    def assert_bytes_counted_up_to_max_body(self, source, some):
        # Oversized transfers count what arrived (the source's cost), never beyond max_body;
        # bytes first, so fetches finished in between only loosen the bound.
        got = self.value("newsd_fetch_bytes_total", source=source)
        fetches = self.value("newsd_fetches_total", source=source, outcome="too_large")
        if some:
            self.assertGreater(got, 0)
        self.assertLessEqual(got, fetches * (1 << 20), (got, fetches))

    def assert_memory_stays_small(self):
        # Neither a 100 MB body nor a 100 MiB inflation ever sat in newsd's memory.
        with open(f"/proc/{self.daemon.proc.pid}/status") as f:
            peak = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
        self.assertLess(peak, 64 << 20)

    def test_a_gzip_bomb_stops_at_max_body_after_decompression(self):
        self.outcome("bomb", "too_large", at_least=2)
        self.assert_bytes_counted_up_to_max_body("bomb", some=True)
        self.assertGreaterEqual(self.server.bytes_sent.get(CASES["bomb"], 0), 100e3)  # all sent
        self.assert_memory_stays_small()

    # -- redirects that must not be followed, resets, broken feeds -------------------------

    def test_a_redirect_loop_is_a_protocol_error(self):
        self.outcome("loop", "protocol", at_least=2)
        # One request and five redirects per poll, never more.
        self.assertLessEqual(self.server.count(CASES["loop"]),
                             6 * (self.value("newsd_fetches_total", source="loop") + 1))

    def test_redirects_to_file_and_gopher_are_protocol_errors_and_leak_nothing(self):
        self.outcome("to-file", "protocol", at_least=2)
        self.outcome("to-gopher", "protocol", at_least=2)
        # Had curl followed gopher://127.0.0.1:<port>/ the server would have seen it.
        self.assertEqual([r.path for r in self.server.requests if "passwd" in r.path], [])
        self.assertEqual(self.records("to-file"), [])
        self.assertEqual(self.records("to-gopher"), [])
        for topic in KAFKA.topics():
            if topic.startswith("pol."):
                for m in KAFKA.consume(topic):
                    self.assertNotIn(PASSWD_MARK, str(m["value"]))
        self.assertNotIn(PASSWD_MARK, http_get(f"http://127.0.0.1:{self.port}/metrics")[1])
        self.assertNotIn(PASSWD_MARK, self.daemon.output())

    def test_a_connection_reset_is_a_protocol_or_connect_error(self):
        wait_for(lambda: (self.value("newsd_fetches_total", source="reset", outcome="protocol")
                          or 0) + (self.value("newsd_fetches_total", source="reset",
                                              outcome="connect") or 0) >= 2, 30, "2 resets")
        self.assertIsNone(self.value("newsd_fetches_total", source="reset", outcome="200"))
        self.assertEqual(self.records("reset"), [])

    def test_a_malformed_feed_counts_a_parse_error_and_the_daemon_keeps_running(self):
        self.wait_metric("newsd_parse_errors_total", 2, source="malformed", format="atom")
        self.assertGreaterEqual(self.value("newsd_fetches_total", source="malformed",
                                           outcome="200"), 2)
        self.assertGreaterEqual(self.value("newsd_source_consecutive_failures",
                                           source="malformed"), 1)
        self.assertIsNone(self.daemon.proc.poll())
        self.assertEqual(http_get(f"http://127.0.0.1:{self.port}/healthz")[0], 200)
        self.assertEqual(self.records("malformed"), [])


class ConditionalAcrossRestartTest(unittest.TestCase):
    def test_a_restart_stays_conditional_because_the_validators_are_in_the_state_db(self):
        with HostileServer() as server, tempfile.TemporaryDirectory(prefix="newsd-cond-") as tmp:
            config = os.path.join(tmp, "newsd.yaml")
            write_config(config, os.path.join(tmp, "state"), KAFKA.bootstrap,
                         [{"name": "restart", "url": server.url("/etag/restart"),
                           "format": "atom", "interval": "1s"}],
                         topic="cond.{source}", http=HTTP)
            r = run_newsd("once", "--config", config)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(KAFKA.consume("cond.restart")), 2)
            # A new process: the first request it makes is already conditional.
            r = run_newsd("once", "--config", config)
            self.assertEqual(r.returncode, 0, r.stderr)
            etag, modified = server.etag_of("/etag/restart")
            self.assertEqual(server.conditional["/etag/restart"], [(None, None), (etag, modified)])
            self.assertEqual(len(KAFKA.consume("cond.restart")), 2)
            # A new version (new ETag) is fetched in full; its entries' content is unchanged,
            # so the seen-store publishes nothing again.
            server.change_etag("/etag/restart")
            r = run_newsd("once", "--config", config)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(server.conditional["/etag/restart"][2], (etag, modified))
            self.assertEqual(len(KAFKA.consume("cond.restart")), 2)


class HostSpacingTest(unittest.TestCase):
    def test_requests_to_one_host_start_at_least_host_spacing_apart(self):
        with HostileServer() as server, tempfile.TemporaryDirectory(prefix="newsd-spacing-") as tmp:
            config = os.path.join(tmp, "newsd.yaml")
            paths = ["/feed/spacing-a", "/feed/spacing-b", "/etag/spacing-c"]
            write_config(config, os.path.join(tmp, "state"), KAFKA.bootstrap,
                         [{"name": p.rsplit("/", 1)[1], "url": server.url(p), "format": "atom",
                           "interval": "1s"} for p in paths],
                         topic="spacing.{source}", http={**HTTP, "host_spacing": "1s"})
            d = Daemon(config)
            try:
                wait_for(lambda: len(server.requests) >= 7, 30, "7 requests")
            finally:
                rc = d.stop()
            self.assertEqual(rc, 0, d.output())
            starts = sorted(r.start for r in server.requests)
            gaps = [b - a for a, b in zip(starts, starts[1:])]
            self.assertGreaterEqual(min(gaps), 0.9, gaps)
            # All three sources were served (spacing delays, it does not starve).
            for p in paths:
                self.assertGreaterEqual(server.count(p), 1, p)


if __name__ == "__main__":
    unittest.main()
