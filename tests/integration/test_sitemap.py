"""A sitemap-only news site ingested end to end into a real Kafka broker (issue 22).

The loopback site has no feed: a sitemap index names two child sitemaps, one of them gzip;
one child has Google News entries, the other plain ones with a lastmod. Its robots.txt
disallows one article path and asks for a Crawl-delay. newsd must publish every allowed
article with its body, never fetch the disallowed one (and count it in /metrics), space its
requests to the host, and at a second poll with unchanged child lastmods fetch no child.
"""
import gzip
import os
import shutil
import tempfile
import threading
import time
import unittest
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from harness import Daemon, Kafka, free_port, metric, scrape, wait_for, write_config

KAFKA = Kafka()
setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup

ROBOTS = """# robots.txt of a site that keeps crawlers out of its drafts
User-agent: *
Disallow: /news/private/
Crawl-delay: 1
"""

NEWS_CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>{base}/news/rates.html</loc>
    <news:news>
      <news:publication><news:name>Loopback Times</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-12-05T09:30:00+01:00</news:publication_date>
      <news:title>Central bank holds rates</news:title>
      <news:keywords>rates, central bank</news:keywords>
    </news:news>
  </url>
  <url>
    <loc>{base}/news/private/draft.html</loc>
    <news:news>
      <news:publication><news:name>Loopback Times</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-12-05T10:00:00Z</news:publication_date>
      <news:title>A draft nobody should read</news:title>
    </news:news>
  </url>
</urlset>
"""

ARCHIVE_CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/archive/harvest.html</loc><lastmod>2026-11-30T08:00:00Z</lastmod></url>
  <url><loc>{base}/archive/bridge.html</loc><lastmod>2026-11-29</lastmod></url>
</urlset>
"""

INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2026-12-05T10:00:00Z</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-archive.xml.gz</loc><lastmod>2026-11-30T08:00:00Z</lastmod></sitemap>
</sitemapindex>
"""

ARTICLES = {
    "news/rates.html": "Central bank holds rates",
    "news/private/draft.html": "A draft nobody should read",
    "archive/harvest.html": "A record harvest",
    "archive/bridge.html": "The old bridge reopens",
}


def page(title):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1><p>Full text of “{title}”: the paragraph that only "
            f"the article page has, long enough for the extractor to keep it.</p></article>"
            f"</body></html>")


class _LoggingHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.requests.append((time.monotonic(), self.path))
        super().do_GET()


class SitemapSite:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="newsd-sitemap-site-")
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          partial(_LoggingHandler, directory=self.root))
        self.server.requests = []
        self.server.lock = threading.Lock()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.write("robots.txt", ROBOTS)
        self.write("sitemap_index.xml", INDEX.format(base=self.base))
        self.write("sitemap-news.xml", NEWS_CHILD.format(base=self.base))
        with gzip.open(os.path.join(self.root, "sitemap-archive.xml.gz"), "wt",
                       encoding="utf-8") as f:
            f.write(ARCHIVE_CHILD.format(base=self.base))
        for path, title in ARTICLES.items():
            self.write(path, page(title))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)

    def requests(self, path=None):
        with self.server.lock:
            return [(t, p) for t, p in self.server.requests if path is None or p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


class SitemapTest(unittest.TestCase):
    def setUp(self):
        self.site = SitemapSite()
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-it-sitemap-")
        self.config = os.path.join(self.tmp.name, "newsd.yaml")
        self.port = free_port()

    def tearDown(self):
        self.site.close()
        self.tmp.cleanup()

    def test_a_sitemap_only_site_arrives_whole_minus_what_robots_txt_disallows(self):
        source = {"name": "loopback-times", "url": self.site.base + "/sitemap_index.xml",
                  "format": "sitemap", "interval": "3s"}
        write_config(self.config, os.path.join(self.tmp.name, "state"), KAFKA.bootstrap,
                     [source], topic="sm.{source}", metrics_port=self.port,
                     http={"host_spacing": "0ms", "user_agent": "newsd/0.1 (+loopback test)"})
        daemon = Daemon(self.config)
        try:
            allowed = {self.site.base + "/" + p for p in ARTICLES if "/private/" not in p}
            records = wait_for(lambda: self.records_if(len(allowed)), 90, "three articles")
            # Two polls at least, so that the second one's children can be counted.
            wait_for(lambda: len(self.site.requests("/sitemap_index.xml")) >= 3, 60,
                     "a third poll of the index")
            samples = scrape(self.port)
        finally:
            code = daemon.stop()
        self.assertEqual(code, 0, daemon.output()[-3000:])

        by_id = {m["key"]: m["value"] for m in records}
        self.assertEqual(set(by_id), allowed)
        for url, post in by_id.items():
            title = ARTICLES[url[len(self.site.base) + 1:]]
            self.assertEqual(post["title"], title)
            self.assertIn("the paragraph that only the article page has", post["body_text"])
        rates = by_id[self.site.base + "/news/rates.html"]
        self.assertEqual(rates["published_at"], "2026-12-05T08:30:00Z")  # news:publication_date
        self.assertEqual(rates["lang"], "en")
        self.assertEqual(rates["media"], "Loopback Times")
        self.assertEqual(rates["tags"], ["rates", "central bank"])
        harvest = by_id[self.site.base + "/archive/harvest.html"]  # from the gzip child
        self.assertEqual(harvest["published_at"], "2026-11-30T08:00:00Z")  # lastmod

        self.assertEqual(self.site.requests("/news/private/draft.html"), [])
        self.assertEqual(metric(samples, "newsd_robots_disallowed_total",
                                source="loopback-times"), 1)
        self.assertEqual(len(self.site.requests("/robots.txt")), 1)  # cached for the run
        # Unchanged lastmods: each child was fetched at the first poll only.
        self.assertEqual(len(self.site.requests("/sitemap-news.xml")), 1)
        self.assertEqual(len(self.site.requests("/sitemap-archive.xml.gz")), 1)
        # Crawl-delay: 1 spaces the requests after robots.txt was read a second apart.
        after = [t for t, p in self.site.requests()
                 if p not in ("/sitemap_index.xml", "/robots.txt")]
        gaps = [b - a for a, b in zip(after, after[1:])]
        self.assertTrue(all(g >= 0.9 for g in gaps), gaps)

    def records_if(self, n):
        records = KAFKA.consume("sm.loopback-times") if "sm.loopback-times" in KAFKA.topics() else []
        return records if len(records) >= n else None


if __name__ == "__main__":
    unittest.main()
