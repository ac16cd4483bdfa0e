"""A loopback site that lists its posts a page at a time, newest first, for catch-up paging.

GET /rss?page=N           RSS 2.0, `per_page` items, the channel's atom:link rel="next" naming
                          the next page (RFC 5005) while there is one
GET /rss-nolinks?page=N   the same without the link: a feed that offers no older page
GET /webapi?pageindex=N   {"record": [{"infoCode", "title", "datetime", "medianame",
                          "content"}, ...]}, the eastmoney list API's shape; pages past the
                          end are empty
Post k (1 = oldest) has id post-k. publish(n) adds n posts at once, between two polls.
Requested paths are kept in `requests`.
"""
import json
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BASE_TIME = datetime(2024, 3, 15, tzinfo=timezone.utc)


class PagedSite:
    def __init__(self, per_page=20):
        self.per_page = per_page
        self.posts = 0
        self.requests = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, n):
        with self.lock:
            self.posts += n

    def ids(self, newest_first=None):
        """Ids of every post, or of the `newest_first` newest."""
        with self.lock:
            n = self.posts
        first = 1 if newest_first is None else max(1, n - newest_first + 1)
        return {f"post-{k}" for k in range(first, n + 1)}

    def _page(self, page):
        """Post numbers on `page` (1-based), newest first, and whether an older page exists."""
        with self.lock:
            n = self.posts
        newest = n - (page - 1) * self.per_page
        numbers = [k for k in range(newest, newest - self.per_page, -1) if k >= 1]
        return numbers, newest - self.per_page >= 1

    def _serve(self, h):
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        with self.lock:
            self.requests.append(h.path)
        if url.path in ("/rss", "/rss-nolinks"):
            page = int(query.get("page", ["1"])[0])
            numbers, more = self._page(page)
            link = ""
            if more and url.path == "/rss":
                link = f'<atom:link rel="next" href="/rss?page={page + 1}"/>'
            items = "".join(
                f"<item><title>Post {k}</title><link>{self.base}/post/{k}</link>"
                f'<guid isPermaLink="false">post-{k}</guid>'
                f"<pubDate>{format_datetime(BASE_TIME + timedelta(minutes=k))}</pubDate>"
                f"<description>Body of post {k}.</description></item>" for k in numbers)
            body = ('<?xml version="1.0" encoding="utf-8"?>'
                    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
                    f"<title>Paged</title><link>{self.base}/</link><description>d</description>"
                    f"{link}{items}</channel></rss>").encode()
            return self._reply(h, "application/rss+xml; charset=utf-8", body)
        if url.path == "/webapi":
            page = int(query.get("pageindex", ["1"])[0])
            numbers, _ = self._page(page)
            shanghai = timezone(timedelta(hours=8))
            record = [{"infoCode": f"post-{k}", "title": f"Post {k}",
                       "datetime": (BASE_TIME + timedelta(minutes=k)).astimezone(shanghai)
                       .strftime("%Y-%m-%d %H:%M:%S"),
                       "medianame": "Paged", "content": f"Body of post {k}."} for k in numbers]
            body = json.dumps({"success": True, "record": record}).encode()
            return self._reply(h, "application/json; charset=utf-8", body)
        h.send_error(404)

    @staticmethod
    def _reply(h, content_type, body):
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
