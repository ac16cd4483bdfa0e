"""A loopback news site whose posts keep arriving, for the fault-injection suite.

`sources` Atom feeds at /feed/<i>; post k of every source appears `k * arrival / posts`
seconds after start. Feeds answer conditional GETs (ETag = number of visible posts). With
`fail_rate` > 0 a share of requests fail: HTTP 500, a reset connection, or a response slower
than newsd's timeout.

Opt-in, for the cluster suite: with `access_log=True` every feed request is kept in
`requests` as (time.monotonic(), source index, User-Agent); `stop_arrivals()` ends the
arrival where it is (no later post appears, `all_published()` is then true).
"""
import random
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client gone mid-request (a newsd killed on purpose) is part of these suites.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class NewsSite:
    def __init__(self, sources=20, posts=15, arrival=20.0, slow_seconds=5.0, access_log=False):
        self.sources, self.posts, self.arrival = sources, posts, arrival
        self.slow_seconds = slow_seconds
        self.access_log = access_log
        self.requests = []
        self.stopped_at = None  # visible posts once stop_arrivals() was called
        self.fail_rate = 0.0
        self.failures_served = 0
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                site._serve(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/feed/{i}"

    def visible(self):
        if self.stopped_at is not None:
            return self.stopped_at
        if self.arrival <= 0:
            return self.posts
        n = int((time.monotonic() - self.t0) / (self.arrival / self.posts)) + 1
        return max(0, min(self.posts, n))

    def expected_ids(self):
        n = self.visible()
        return {f"s{i}-p{k}" for i in range(self.sources) for k in range(n)}

    def all_published(self):
        return self.stopped_at is not None or self.visible() == self.posts

    def stop_arrivals(self):
        self.stopped_at = self.visible()

    def _fail(self, h):
        kind = random.choice(["500", "reset", "slow"])
        with self.lock:
            self.failures_served += 1
        if kind == "500":
            body = b"upstream exploded"
            h.send_response(500)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        elif kind == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
        else:
            time.sleep(self.slow_seconds)
            h.close_connection = True

    def _serve(self, h):
        parts = h.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "feed" or not parts[1].isdigit():
            h.send_error(404)
            return
        i = int(parts[1])
        if self.access_log:
            with self.lock:
                self.requests.append((time.monotonic(), i, h.headers.get("User-Agent", "")))
        if self.fail_rate and random.random() < self.fail_rate:
            self._fail(h)
            return
        n = self.visible()
        etag = f'"{n}"'
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        entries = []
        for k in range(max(0, n - 50), n):
            entries.append(
                f"<entry><id>s{i}-p{k}</id><title>Source {i} post {k}</title>"
                f"<link href='http://127.0.0.1:{self.port}/post/{i}/{k}'/>"
                f"<updated>2024-01-01T00:{k // 60:02d}:{k % 60:02d}Z</updated>"
                f"<content type='html'>&lt;p&gt;Body of post {k} from source {i}.&lt;/p&gt;</content>"
                "</entry>")
        body = ("<?xml version='1.0' encoding='utf-8'?>"
                "<feed xmlns='http://www.w3.org/2005/Atom'><title>news</title>"
                + "".join(reversed(entries)) + "</feed>").encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/atom+xml")
        h.send_header("ETag", etag)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
