"""Catch-up paging end to end (docs/sources.md): a loopback site publishes 150 posts between two
polls, 20 to a page. Every one reaches Kafka for an RSS feed with RFC 5005 links and for a
json_api source with a page parameter; without a way to page (a feed without links, or
`max_pages: 1`) the daemon counts the gap in newsd_source_gaps_total, read from /metrics.

One daemon polls the four sources of one site at a 1 s interval. Run through ctest (label
`integration`), which sets NEWSD_BIN.
"""
import os
import tempfile
import unittest

from harness import Daemon, Kafka, free_port, metric, scrape, wait_for, write_config
from paged_site import PagedSite

KAFKA = Kafka()

setUpModule = KAFKA.start
tearDownModule = KAFKA.cleanup

TOPIC = "paging.posts"
PAGED = ("rss-paged", "api-paged")
UNPAGED = ("rss-nolinks", "api-single")


class PagingTest(unittest.TestCase):
    def setUp(self):
        self.site = PagedSite(per_page=20)
        self.tmp = tempfile.TemporaryDirectory(prefix="newsd-paging-")
        self.config = os.path.join(self.tmp.name, "newsd.yaml")
        self.port = free_port()
        api = {"format": "json_api", "items": "/record", "timezone": "Asia/Shanghai",
               "fields": {"id": "/infoCode", "title": "/title", "published_at": "/datetime",
                          "media": "/medianame", "body": "/content"}}
        sources = [
            {"name": "rss-paged", "url": f"{self.site.base}/rss", "format": "rss"},
            {"name": "rss-nolinks", "url": f"{self.site.base}/rss-nolinks", "format": "rss"},
            {"name": "api-paged", "url": f"{self.site.base}/webapi?pagesize=20&pageindex=1",
             "paging": {"param": "pageindex", "first": 1}, **api},
            {"name": "api-single", "url": f"{self.site.base}/webapi?pagesize=20&pageindex=1",
             "paging": {"param": "pageindex", "first": 1}, "max_pages": 1, **api},
        ]
        for s in sources:
            s["interval"] = "1s"
        write_config(self.config, os.path.join(self.tmp.name, "state"), KAFKA.bootstrap,
                     sources, topic=TOPIC, metrics_port=self.port, http={"host_spacing": "20ms"})

    def tearDown(self):
        self.site.close()
        self.tmp.cleanup()

    def ids_by_source(self):
        out = {}
        for m in KAFKA.consume(TOPIC):
            out.setdefault(m["value"]["source"], []).append((m["offset"], m["key"]))
        return out

    def wait_for_ids(self, want, what, timeout=90):
        def arrived():
            got = self.ids_by_source()
            return got if all({k for _, k in got.get(s, [])} >= ids
                              for s, ids in want.items()) else None
        return wait_for(arrived, timeout, what)

    def test_150_posts_between_two_polls_all_arrive_when_the_source_pages(self):
        self.site.publish(10)
        first = self.site.ids()
        daemon = Daemon(self.config)
        try:
            self.wait_for_ids({s: first for s in PAGED + UNPAGED}, "the first 10 posts")
            self.site.publish(150)
            everything = self.site.ids()
            got = self.wait_for_ids({s: everything for s in PAGED}, "all 160 posts, paged")
            samples = wait_for(
                lambda: (lambda m: m if all(metric(m, "newsd_source_gaps_total", source=s)
                                            for s in UNPAGED) else None)(scrape(self.port)),
                60, "a gap counted for each source that cannot page")
            newest = self.site.ids(newest_first=20)
            got = self.wait_for_ids({s: first | newest for s in UNPAGED}, "the newest page")
        finally:
            self.assertEqual(daemon.stop(), 0, daemon.output()[-3000:])
        log = daemon.output()

        for s in PAGED:
            keys = [k for _, k in got[s]]
            self.assertEqual(len(keys), 160, f"{s}: each post once")
            self.assertEqual(set(keys), everything, s)
            self.assertIsNone(metric(samples, "newsd_source_gaps_total", source=s),
                              f"{s}: no gap")
        for s in UNPAGED:
            self.assertEqual({k for _, k in got[s]}, first | newest,
                             f"{s}: only the first page of the 150")
            self.assertEqual(metric(samples, "newsd_source_gaps_total", source=s), 1, s)
        self.assertIn("rss-nolinks: all 20 entries of the first page were new and the source "
                      "offers no older page", log)
        self.assertIn("api-single: all 20 entries of the first page were new and paging is off "
                      "(max_pages: 1)", log)
        # Pages 2+ were asked for only where paging is possible; the feed's own links were
        # followed (RFC 5005), the API's page parameter counted up.
        self.assertIn("/rss?page=8", self.site.requests)
        self.assertFalse(any("rss-nolinks?page=" in r for r in self.site.requests))
        self.assertIn("/webapi?pagesize=20&pageindex=8", self.site.requests)
        # The catch-up is sent oldest page first: of the 150, the first record in the topic
        # comes from the last page read (posts 11..20), the last from the first (141..160).
        for s in PAGED:
            catch_up = [k for _, k in sorted(got[s]) if k not in first]
            self.assertLessEqual(int(catch_up[0].split("-")[1]), 20, s)
            self.assertGreaterEqual(int(catch_up[-1].split("-")[1]), 141, s)


if __name__ == "__main__":
    unittest.main()
