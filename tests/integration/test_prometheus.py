"""A real Prometheus scrapes a real newsd during an ingest into the real broker; every
Grafana panel's and every alert's expression is then evaluated through Prometheus's HTTP
API: none may error, and every panel target must return data.

Run through ctest (label `integration`), which sets NEWSD_BIN; needs scripts/setup done
(the Debian `prometheus` package gives /usr/bin/prometheus and promtool).
"""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import yaml

from harness import (SOURCE_DIR, Daemon, Kafka, Site, free_port, http_get, wait_for,
                     write_config)

DASHBOARD = os.path.join(SOURCE_DIR, "dashboards", "grafana", "newsd.json")
ALERTS = os.path.join(SOURCE_DIR, "dashboards", "prometheus", "newsd-alerts.yml")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# What Grafana would put in place of its variables for "All sources" over a short test.
SUBSTITUTIONS = {"$__rate_interval": "30s", "$__interval": "5s", "$__range": "5m",
                 "$source": ".*", "$job": "newsd"}

KAFKA = None


def setUpModule():
    if not os.access(PROMETHEUS, os.X_OK):
        raise unittest.SkipTest("prometheus is not installed (scripts/setup installs it)")
    global KAFKA
    KAFKA = Kafka()
    KAFKA.start()


def tearDownModule():
    if KAFKA:
        KAFKA.cleanup()


def grafana_expr(expr):
    for var, value in SUBSTITUTIONS.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    return expr


def panel_targets(dashboard):
    for panel in dashboard["panels"]:
        for p in [panel] + panel.get("panels", []):
            for t in p.get("targets", []):
                yield p, t


def has_value(result):
    """Whether a query result holds at least one sample that is a number (not NaN)."""
    for series in result:
        samples = series.get("values") or [series["value"]]
        if any(not math.isnan(float(v)) for _, v in samples):
            return True
    return False


class Prometheus:
    def __init__(self, target, rules):
        self.dir = tempfile.mkdtemp(prefix="newsd-prom-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            yaml.safe_dump({
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                           "scrape_timeout": "1s"},
                "rule_files": [rules],
                "scrape_configs": [{"job_name": "newsd",
                                    "static_configs": [{"targets": [target]}]}],
            }, f)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    def api(self, path, **params):
        status, body = http_get(f"{self.base}{path}?{urllib.parse.urlencode(params)}")
        if status is None:
            return None
        return json.loads(body)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = Site()
        cls.tmp = tempfile.TemporaryDirectory(prefix="newsd-prom-it-")
        cls.metrics_port = free_port()
        config = os.path.join(cls.tmp.name, "newsd.yaml")
        write_config(config, os.path.join(cls.tmp.name, "state"), KAFKA.bootstrap,
                     [{"name": "sample", "url": cls.site.url("feed.xml"), "format": "atom",
                       "follow": True, "timezone": "Asia/Shanghai", "interval": "1s"}],
                     topic="prom.{category}", metrics_port=cls.metrics_port)
        cls.prom = Prometheus(f"127.0.0.1:{cls.metrics_port}", ALERTS)
        cls.start = time.time()
        cls.daemon = Daemon(config)
        try:
            wait_for(lambda: http_get(cls.prom.base + "/-/ready")[0] == 200, 60,
                     "Prometheus ready")
            # The first ingest happened and Prometheus saw it.
            wait_for(lambda: cls.instant('sum(newsd_posts_total{result="new"})') == 4, 60,
                     "Prometheus to see 4 new posts")
            # More news while Prometheus watches, so that rates and histograms move: a post
            # changes and is published again.
            cls.site.change_post_2()
            wait_for(lambda: cls.instant('sum(newsd_posts_total{result="updated"})') == 1, 60,
                     "Prometheus to see 1 updated post")
            # librdkafka's statistics (every 5 s), enough samples for 30 s rate windows.
            wait_for(lambda: cls.instant("sum(newsd_kafka_broker_up)") >= 1, 60,
                     "a broker UP in the scraped statistics")
            wait_for(lambda: cls.instant('count_over_time(up{job="newsd"}[1m])') >= 10, 60,
                     "10 scrapes")
            wait_for(cls.rules_evaluated, 60, "every alert rule evaluated")
        except Exception:
            cls.tearDownClass()
            raise
        cls.end = time.time()

    @classmethod
    def tearDownClass(cls):
        rc = cls.daemon.stop()
        cls.prom.stop()
        cls.site.close()
        cls.tmp.cleanup()
        assert rc == 0, cls.daemon.output()

    @classmethod
    def instant(cls, expr):
        r = cls.prom.api("/api/v1/query", query=expr)
        if not r or r["status"] != "success" or not r["data"]["result"]:
            return None
        return float(r["data"]["result"][0]["value"][1])

    @classmethod
    def rules_evaluated(cls):
        r = cls.prom.api("/api/v1/rules")
        if not r:
            return False
        rules = [rule for g in r["data"]["groups"] for rule in g["rules"]]
        return bool(rules) and all(rule["health"] != "unknown" and
                                   not rule["lastEvaluation"].startswith("0001-")
                                   for rule in rules)

    def query_range(self, expr):
        return self.prom.api("/api/v1/query_range", query=expr, start=f"{self.start:.3f}",
                             end=f"{time.time():.3f}", step="1")

    def test_dashboard_is_importable_with_datasource_and_source_variables(self):
        with open(DASHBOARD, encoding="utf-8") as f:
            d = json.load(f)
        self.assertEqual(d["__inputs"][0]["pluginId"], "prometheus")
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        self.assertEqual(variables["source"]["query"]["query"],
                         "label_values(newsd_fetches_total, source)")
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        # Rows added by separate changes must not be laid over each other.
        boxes = [(p["title"], p["gridPos"]) for p in d["panels"]]
        for i, (ta, a) in enumerate(boxes):
            for tb, b in boxes[i + 1:]:
                self.assertFalse(a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                                 and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"],
                                 f"panels {ta!r} and {tb!r} overlap")
        titles = " ".join(p["title"] for p in d["panels"]).lower()
        for topic in ("ingest", "freshness", "fetch outcomes", "top failing sources",
                      "delivery", "latency", "back-pressure", "queues", "cpu", "memory"):
            self.assertIn(topic, titles)
        for p, t in panel_targets(d):
            self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
            self.assertEqual(t["datasource"]["uid"], "${datasource}", p["title"])

        # The source variable's query answers with the configured source.
        r = self.prom.api("/api/v1/label/source/values", **{"match[]": "newsd_fetches_total"})
        self.assertEqual(r["data"], ["sample"])

    def test_every_panel_query_returns_data(self):
        with open(DASHBOARD, encoding="utf-8") as f:
            d = json.load(f)
        checked = 0
        for p, t in panel_targets(d):
            expr = grafana_expr(t["expr"])
            with self.subTest(panel=p["title"], ref=t["refId"]):
                if t.get("instant"):
                    r = self.prom.api("/api/v1/query", query=expr)
                else:
                    r = self.query_range(expr)
                self.assertIsNotNone(r, expr)
                self.assertEqual(r["status"], "success", f"{expr}: {r.get('error')}")
                self.assertTrue(has_value(r["data"]["result"]), f"no data: {expr}")
                checked += 1
        self.assertGreaterEqual(checked, 20)

    def test_every_alert_expression_evaluates_and_the_rules_load_healthy(self):
        with open(ALERTS, encoding="utf-8") as f:
            rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(rules), 6)
        for rule in rules:
            with self.subTest(alert=rule["alert"]):
                r = self.prom.api("/api/v1/query", query=rule["expr"])
                self.assertEqual(r["status"], "success", f"{rule['expr']}: {r.get('error')}")
        loaded = self.prom.api("/api/v1/rules")["data"]["groups"]
        health = {r["name"]: (r["health"], r.get("lastError", "")) for g in loaded
                  for r in g["rules"]}
        self.assertEqual(set(health), {r["alert"] for r in rules})
        for name, (h, err) in health.items():
            self.assertEqual(h, "ok", f"{name}: {err}")
        # A healthy ingest fires nothing.
        firing = [a["labels"]["alertname"] for a in self.prom.api("/api/v1/alerts")["data"]["alerts"]
                  if a["state"] == "firing"]
        self.assertEqual(firing, [])

    def test_metrics_pass_promtool_check_metrics(self):
        status, body = http_get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self.assertEqual(status, 200)
        self.assertIn("newsd_kafka_broker_up{", body)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
