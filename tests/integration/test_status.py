"""Issue 24: the operator's view. A running newsd against a loopback site where some sources
succeed, one answers 500 and one times out: the status API reports each state and error,
`newsd status` exits non-zero listing the failing ones first, the admin actions work with the
token and are refused without it and on the metrics port, and a real browser (headless
Chromium, Debian's `chromium`) renders /sources with the failing sources first.

NEWSD_SCREENSHOT=PATH keeps the browser's screenshot there (docs/img/sources-page.png is one).
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema

from harness import (Daemon, Kafka, SOURCE_DIR, free_port, http_get, run_newsd, wait_for,
                     write_config)

KAFKA = Kafka()
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup

CHROMIUM = shutil.which("chromium")
with open(os.path.join(SOURCE_DIR, "schema", "newsd.sources.v1.schema.json"),
          encoding="utf-8") as f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(f))

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>http://example.invalid/</link>
<description>status test</description>
<item><guid>{name}-1</guid><title>{name} first post</title><link>http://example.invalid/{name}/1</link>
<description>One.</description><pubDate>Sun, 06 Dec 2026 01:00:00 GMT</pubDate></item>
<item><guid>{name}-2</guid><title>{name} second post</title><link>http://example.invalid/{name}/2</link>
<description>Two.</description><pubDate>Sun, 06 Dec 2026 02:00:00 GMT</pubDate></item>
</channel></rss>
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        if self.path.startswith("/feed/"):
            body = FEED.format(name=self.path.rsplit("/", 1)[1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/broken":
            self.send_response(500)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"oops\n")
        elif self.path == "/slow":
            time.sleep(4)  # past the config's http.timeout
            self.send_response(200)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


def request(url, method="GET", token=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class StatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        cls.site.hits = {}
        cls.site.daemon_threads = True
        threading.Thread(target=cls.site.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{cls.site.server_address[1]}"
        cls.tmp = tempfile.TemporaryDirectory(prefix="newsd-status-")
        cls.config = os.path.join(cls.tmp.name, "newsd.yaml")
        cls.token = "t0ken-for-the-test"
        token_file = os.path.join(cls.tmp.name, "admin-token")
        with open(token_file, "w") as f:
            f.write(cls.token + "\n")
        cls.port, cls.admin_port = free_port(), free_port()
        sources = [
            {"name": "alpha-ok", "url": f"{base}/feed/alpha", "format": "rss", "interval": "10m"},
            {"name": "beta-ok", "url": f"{base}/feed/beta", "format": "rss", "interval": "10m"},
            {"name": "gamma-500", "url": f"{base}/broken", "format": "rss", "interval": "10m"},
            {"name": "delta-timeout", "url": f"{base}/slow", "format": "rss", "interval": "10m"},
        ]
        write_config(cls.config, os.path.join(cls.tmp.name, "state"), KAFKA.bootstrap, sources,
                     topic="status.{source}", metrics_port=cls.port,
                     http={"timeout": "1s", "host_spacing": "0ms"})
        with open(cls.config, "a") as f:
            f.write(f"admin: {{listen: '127.0.0.1:{cls.admin_port}', token_file: '{token_file}'}}\n")
        cls.daemon = Daemon(cls.config)
        cls.api = f"http://127.0.0.1:{cls.port}/api/v1/sources"
        cls.admin = f"http://127.0.0.1:{cls.admin_port}/api/v1/sources"

        def all_polled():
            status, body = http_get(cls.api)
            if status != 200:
                return None
            doc = json.loads(body)
            ok = all(s["last_poll"] for s in doc["sources"])
            delivered = sum(s["delivered"]["total"] for s in doc["sources"])
            return doc if ok and delivered == 4 else None

        try:
            cls.doc = wait_for(all_polled, 90, "every source polled once, 4 posts delivered")
        except Exception:
            print(cls.daemon.output())
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.site.shutdown()
        cls.tmp.cleanup()

    def source(self, name, base=None):
        status, body = request(f"{base or self.api}/{name}")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_the_api_reports_each_state_and_error(self):
        doc = self.doc
        VALIDATOR.validate(doc)
        self.assertEqual(doc["schema"], "newsd.sources/v1")
        self.assertEqual(doc["total"], 4)
        by_name = {s["name"]: s for s in doc["sources"]}
        for name in ("alpha-ok", "beta-ok"):
            s = by_name[name]
            self.assertEqual(s["state"], "ok")
            self.assertEqual(s["last_poll"]["outcome"], "200")
            self.assertEqual(s["delivered"]["total"], 2)
            self.assertEqual(s["delivered"]["last_hour"], 2)
            self.assertIsNotNone(s["last_new_post_at"])
            self.assertIsNone(s["last_error"])
            self.assertEqual(s["interval"]["reason"], "configured")
            self.assertEqual(s["interval"]["configured_seconds"], 600)
        broken = by_name["gamma-500"]
        self.assertEqual(broken["state"], "failing")
        self.assertEqual(broken["consecutive_failures"], 1)
        self.assertEqual(broken["last_poll"]["outcome"], "500")
        self.assertEqual(broken["last_poll"]["error_class"], "http")
        self.assertEqual(broken["last_error"], "HTTP 500")
        slow = by_name["delta-timeout"]
        self.assertEqual(slow["state"], "failing")
        self.assertEqual(slow["last_poll"]["outcome"], "timeout")
        self.assertIsNone(slow["last_poll"]["http_status"])
        self.assertTrue(slow["last_error"])
        # Failing first, then by name.
        self.assertEqual([s["name"] for s in doc["sources"]],
                         ["delta-timeout", "gamma-500", "alpha-ok", "beta-ok"])
        self.assertEqual(doc["counts"]["failing"], 2)
        self.assertEqual(doc["counts"]["ok"], 2)

    def test_filtering_paging_and_the_detail(self):
        status, body = request(self.api + "?state=ok&limit=1&offset=1")
        page = json.loads(body)
        self.assertEqual((page["matched"], [s["name"] for s in page["sources"]]), (2, ["beta-ok"]))
        status, body = request(self.api + "?name=500")
        self.assertEqual([s["name"] for s in json.loads(body)["sources"]], ["gamma-500"])
        self.assertEqual(request(self.api + "?state=bogus")[0], 400)
        detail = self.source("gamma-500")
        VALIDATOR.validate(detail)
        self.assertEqual(detail["source"]["name"], "gamma-500")
        self.assertGreaterEqual(len(detail["recent_polls"]), 1)
        self.assertEqual(detail["recent_polls"][0]["error"], "HTTP 500")
        self.assertEqual(request(self.api + "/no-such-source")[0], 404)

    def test_newsd_status_lists_failing_sources_first_and_exits_non_zero(self):
        out = run_newsd("status", "--config", self.config)
        self.assertEqual(out.returncode, 1, out.stderr)
        lines = out.stdout.splitlines()
        self.assertTrue(lines[0].startswith("SOURCE"))
        names = [line.split()[0] for line in lines[1:5]]
        self.assertEqual(names[:2], ["delta-timeout", "gamma-500"])
        self.assertIn("HTTP 500", out.stdout)
        out = run_newsd("status", "--config", self.config, "--json")
        self.assertEqual(out.returncode, 1)
        self.assertEqual(len(json.loads(out.stdout)["sources"]), 4)

    def test_newsd_status_says_when_the_daemon_cannot_be_reached(self):
        other = os.path.join(self.tmp.name, "elsewhere.yaml")
        write_config(other, os.path.join(self.tmp.name, "s2"), KAFKA.bootstrap, [],
                     metrics_port=free_port())
        out = run_newsd("status", "--config", other)
        self.assertEqual(out.returncode, 2, out.stdout)
        self.assertIn("cannot read the status", out.stderr)

    def test_admin_actions_need_the_token_and_the_admin_listener(self):
        # The metrics port changes nothing.
        self.assertEqual(request(self.api.replace("/sources", "/sources/alpha-ok/pause"), "POST",
                                 self.token)[0], 405)
        self.assertEqual(request(self.api + "/alpha-ok/pause", "GET")[0], 404)
        # No token, a wrong one.
        self.assertEqual(request(self.admin + "/alpha-ok/pause", "POST")[0], 401)
        self.assertEqual(request(self.admin + "/alpha-ok/pause", "POST", "nope")[0], 401)
        self.assertEqual(self.source("alpha-ok")["source"]["state"], "ok")
        # Pause and resume.
        status, body = request(self.admin + "/alpha-ok/pause", "POST", self.token)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.source("alpha-ok")["source"]["state"], "paused")
        self.assertIsNone(self.source("alpha-ok")["source"]["next_poll_at"])
        self.assertEqual(request(self.admin + "/alpha-ok/resume", "POST", self.token)[0], 200)
        self.assertEqual(self.source("alpha-ok")["source"]["state"], "ok")
        self.assertEqual(request(self.admin + "/nope/poll", "POST", self.token)[0], 404)

    def test_poll_now_polls_at_once_and_a_second_failure_backs_off(self):
        before = self.site.hits.get("/broken", 0)
        status, _ = request(self.admin + "/gamma-500/poll", "POST", self.token)
        self.assertEqual(status, 202)
        s = wait_for(lambda: (lambda d: d if d["consecutive_failures"] >= 2 else None)(
            self.source("gamma-500")["source"]), 30, "a second failed poll")
        self.assertGreater(self.site.hits["/broken"], before)
        self.assertEqual(s["state"], "backing_off")
        self.assertEqual(s["interval"]["reason"], "backoff")
        self.assertGreater(s["interval"]["seconds"], 900)

    @unittest.skipUnless(CHROMIUM, "needs Debian's chromium (scripts/setup installs it)")
    def test_a_real_browser_shows_failing_sources_first_with_their_errors(self):
        url = f"http://127.0.0.1:{self.port}/sources"
        flags = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-sandbox",
                 "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                 f"--user-data-dir={os.path.join(self.tmp.name, 'chromium')}"]
        dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        html = dom.stdout
        self.assertIn('<table id="sources">', html)
        order = [html.find(f">{n}</a>") for n in
                 ("delta-timeout", "gamma-500", "alpha-ok", "beta-ok")]
        self.assertTrue(all(i > 0 for i in order), order)
        self.assertLess(max(order[:2]), min(order[2:]), "failing sources come first")
        self.assertIn("HTTP 500", html)
        self.assertIn('class="state s-failing"', html)
        shot = os.environ.get("NEWSD_SCREENSHOT") or os.path.join(self.tmp.name, "sources.png")
        out = subprocess.run(flags + ["--window-size=1280,480", f"--screenshot={shot}", url],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
