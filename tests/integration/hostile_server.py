"""A loopback HTTP server that misbehaves on demand, for newsd's polling tests.

It binds 127.0.0.1 on port 0 and serves each request from its own thread. The first path
segment picks the behaviour; anything after it only makes the path distinct, so several
sources can use one behaviour and still be counted apart (`/etag/a`, `/etag/b`):

  /feed[/...]              200, a tiny valid Atom feed (2 entries, ids derived from the path)
  /status/<code>[/...]     2xx: the feed; 3xx: redirect to /feed/<path>; else <code> + text
  /redirect/<n>[/...]      a chain of n redirects ending at the feed
  /etag[/...]              the feed with ETag + Last-Modified; 304 to a matching
                           If-None-Match (or If-Modified-Since); records what it received
  /retry-after/<s>[/...]   429 with Retry-After: <s>
  /retry-after-date/<s>[/...]  503 with Retry-After: an HTTP date <s> seconds ahead
  /cache/<max-age>[/...]   the feed with Cache-Control: max-age=<max-age>
  /drip[/...]              headers, then one byte a second for up to DRIP_LIMIT seconds
  /endless[/...]           a chunked body that never ends (until the client goes or a cap)
  /huge[/...]              Content-Length 100 MB, then writes until the client goes away
  /gzip-bomb[/...]         ~100 KB of gzip that inflates to 100 MB (Content-Encoding: gzip)
  /redirect-loop[/...]     redirects to itself forever
  /redirect-file[/...]     302 to file:///etc/passwd
  /redirect-gopher[/...]   302 to gopher://127.0.0.1:<this port>/1passwd
  /reset[/...]             starts a response, then closes with RST (SO_LINGER 0)
  /malformed[/...]         200 application/atom+xml whose XML is broken
  /slow/<ms>[/...]         the feed after a delay of <ms> milliseconds

Any path can also be given fixed content with set(); that wins over the table above.
Every request is recorded (path, start and end time on the monotonic clock, headers), with
the number of requests per path, the most requests ever in progress at once per path, and
the body bytes written per path, so tests can assert on what newsd really did.
"""
import select
import socket
import struct
import threading
import time
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DRIP_LIMIT = 120        # seconds a drip response lasts at most
ENDLESS_LIMIT = 2 << 30  # bytes an endless response sends at most
HUGE = 100 * 1000 * 1000
BOMB = 100 * 1024 * 1024
PASSWD_MARK = "root:x:0:0"  # what /etc/passwd starts with; must never leave newsd

_bomb_lock = threading.Lock()
_bomb = None


def gzip_bomb():
    """~100 KB of gzip that inflates to 100 MiB of zeros (built once, in well under a second:
    one fully flushed deflate block of 1 MiB of zeros repeated, wrapped in a gzip member)."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            zeros = b"\0" * (1 << 20)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)  # independent of history
            crc = 0
            for _ in range(BOMB >> 20):
                crc = zlib.crc32(zeros, crc)
            _bomb = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + block * (BOMB >> 20)
                     + c.flush() + struct.pack("<II", crc, BOMB & 0xFFFFFFFF))
        return _bomb


def atom_feed(tag, n=2, title="Hostile", link=None):
    """A small valid Atom feed whose entry ids are derived from `tag`; `link(i)` gives entry
    i's link (default: a URL that is never fetched)."""
    link = link or (lambda i: f"http://127.0.0.1/{tag}/{i}")
    entries = "".join(
        f"<entry><id>urn:hostile:{tag}:{i}</id><title>{title} {tag} entry {i}</title>"
        f"<link href='{link(i)}'/>"
        f"<updated>2024-04-18T{i % 24:02d}:00:00Z</updated>"
        f"<summary>Entry {i} of {tag}.</summary></entry>"
        for i in range(n))
    return (f"<?xml version='1.0' encoding='utf-8'?>"
            f"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:hostile:{tag}</id>"
            f"<title>{title} {tag}</title><updated>2024-04-18T09:00:00Z</updated>"
            f"{entries}</feed>").encode()


class Request:
    __slots__ = ("path", "start", "wall", "end", "headers")

    def __init__(self, path, headers):
        self.path = path
        self.start = time.monotonic()
        self.wall = time.time()
        self.end = None
        self.headers = headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/1.0"
    timeout = 60  # a client that stops reading does not hold a thread forever

    def log_message(self, *args):
        pass

    # -- plumbing -------------------------------------------------------------------------

    def _send(self, status, body=b"", content_type="text/plain", headers=(), length=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self._write(body)

    def _write(self, data):
        if data:
            self.wfile.write(data)
            self.server.owner._add_bytes(self.rec.path, len(data))

    def _feed(self, status=200, headers=(), tag=None):
        self._send(status, atom_feed(tag or self.rec.path.strip("/").replace("/", "-")),
                   "application/atom+xml; charset=utf-8", headers)

    def _redirect(self, location, status=302):
        self._send(status, b"moved\n", headers=[("Location", location)])

    def do_GET(self):
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        self.rec = Request(path, dict(self.headers.items()))
        owner._begin(self.rec)
        try:
            self._dispatch(path)
        except OSError:  # the client went away (or timed out): that is what we test
            self.close_connection = True
        finally:
            owner._end(self.rec)

    def _dispatch(self, path):
        owner = self.server.owner
        fixed = owner._fixed.get(path)
        if fixed is not None:
            status, body, content_type, headers, delay = fixed
            if delay:
                time.sleep(delay)
            self._send(status, body, content_type, headers)
            return
        parts = [p for p in path.split("/") if p]
        kind = parts[0] if parts else ""
        arg = parts[1] if len(parts) > 1 else ""
        handler = getattr(self, "b_" + kind.replace("-", "_"), None)
        if handler is None:
            self._send(404, b"no such behaviour\n")
            return
        handler(arg)

    # -- behaviours: b_<first path segment> --------------------------------------------------------------------

    def b_feed(self, arg):
        self._feed()

    def b_status(self, arg):
        code = int(arg)
        if 200 <= code < 300 and code not in (204, 205):
            self._feed(code)
        elif 300 <= code < 400:
            self._redirect("/feed" + self.rec.path, code)
        else:
            self._send(code, f"status {code}\n".encode())

    def b_redirect(self, arg):
        left = int(arg)
        rest = self.rec.path.split("/", 3)[3] if self.rec.path.count("/") >= 3 else ""
        if left <= 0:
            self._feed(tag="redirect-" + rest.replace("/", "-"))
        else:
            self._redirect(f"/redirect/{left - 1}/{rest}")

    def b_etag(self, arg):
        owner = self.server.owner
        etag, modified = owner.etag_of(self.rec.path)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        with owner._lock:
            owner.conditional.setdefault(self.rec.path, []).append((inm, ims))
        headers = [("ETag", etag), ("Last-Modified", modified)]
        if (inm is not None and inm == etag) or (inm is None and ims == modified):
            self.send_response(304)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            return
        self._feed(headers=headers)

    def b_retry_after(self, arg):
        self._send(429, b"slow down\n", headers=[("Retry-After", arg)])

    def b_retry_after_date(self, arg):
        when = formatdate(time.time() + int(arg or 30), usegmt=True)
        self._send(503, b"come back later\n", headers=[("Retry-After", when)])

    def b_cache(self, arg):
        self._feed(headers=[("Cache-Control", f"public, max-age={int(arg)}")])

    def b_slow(self, arg):
        time.sleep(int(arg) / 1000)
        self._feed()

    def b_drip(self, arg):
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(DRIP_LIMIT + 1000))
        self.end_headers()
        self.wfile.flush()
        deadline = time.monotonic() + DRIP_LIMIT
        while time.monotonic() < deadline and not self.server.owner._closing.is_set():
            self._write(b" ")
            self.wfile.flush()
            # Wait a second, but notice at once when the client hangs up, so that the
            # request's end time (and `active`) is when the client gave up.
            if select.select([self.connection], [], [], 1.0)[0]:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break
                except OSError:
                    break
        self.close_connection = True

    def b_endless(self, arg):
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<!-- " + b"x" * 65000 + b" -->"
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        self.wfile.write(b"%x\r\n<feed>\r\n" % len(b"<feed>"))
        sent = 0
        while sent < ENDLESS_LIMIT and not self.server.owner._closing.is_set():
            self.wfile.write(frame)
            self.server.owner._add_bytes(self.rec.path, len(chunk))
            sent += len(chunk)
        self.close_connection = True

    def b_huge(self, arg):
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        chunk = b" " * 65536
        sent = 0
        while sent < HUGE and not self.server.owner._closing.is_set():
            n = min(len(chunk), HUGE - sent)
            self._write(chunk[:n])
            sent += n
        self.close_connection = True

    def b_gzip_bomb(self, arg):
        self._send(200, gzip_bomb(), "application/atom+xml",
                   headers=[("Content-Encoding", "gzip")])

    def b_redirect_loop(self, arg):
        self._redirect(self.rec.path)

    def b_redirect_file(self, arg):
        self._redirect("file:///etc/passwd")

    def b_redirect_gopher(self, arg):
        self._redirect(f"gopher://127.0.0.1:{self.server.server_address[1]}/1passwd")

    def b_reset(self, arg):
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self._write(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>")
        self.wfile.flush()
        # SO_LINGER on with a zero timeout: close() sends RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # drops the last makefile() reference, so close() closes the fd
        self.connection.close()

    def b_malformed(self, arg):
        body = (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>"
                b"<entry><id>urn:broken</id><title>unclosed &amp tags <b></entry></fee")
        self._send(200, body, "application/atom+xml")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # clients that hang up (newsd giving up on a body) are what we test


class HostileServer:
    """See the module docstring. Use as a context manager or call close()."""

    def __init__(self):
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._fixed = {}
        self.requests = []        # every Request, in arrival order
        self.counts = {}          # path -> requests started
        self.active = {}          # path -> requests in progress now
        self.max_active = {}      # path -> most requests ever in progress at once
        self.bytes_sent = {}      # path -> body bytes written
        self.conditional = {}     # /etag path -> [(If-None-Match, If-Modified-Since)]
        self._etags = {}
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path, body, content_type="application/atom+xml; charset=utf-8", status=200,
            headers=(), delay=0.0):
        """Serve fixed content at `path` (wins over the built-in behaviours), after `delay`
        seconds."""
        if isinstance(body, str):
            body = body.encode()
        with self._lock:
            self._fixed[path] = (status, body, content_type, list(headers), delay)

    def etag_of(self, path):
        with self._lock:
            if path not in self._etags:
                n = len(self._etags) + 1
                self._etags[path] = (f'"v{n}-{abs(hash(path)) % 10**8}"',
                                     formatdate(1.7e9 + n, usegmt=True))
            return self._etags[path]

    def change_etag(self, path):
        """Make /etag... serve a new version (the next request gets 200 again)."""
        with self._lock:
            old = self._etags.get(path)
            n = len(self._etags) + 100
            self._etags[path] = (f'"changed{n}"', formatdate(1.8e9 + n, usegmt=True))
            return old

    def count(self, path):
        with self._lock:
            return self.counts.get(path, 0)

    def starts(self, path):
        """Start times (monotonic) of the requests to `path`."""
        with self._lock:
            return [r.start for r in self.requests if r.path == path]

    def first(self, path):
        """The first request to `path`, or None."""
        with self._lock:
            return next((r for r in self.requests if r.path == path), None)

    def _begin(self, rec):
        with self._lock:
            self.requests.append(rec)
            self.counts[rec.path] = self.counts.get(rec.path, 0) + 1
            a = self.active.get(rec.path, 0) + 1
            self.active[rec.path] = a
            self.max_active[rec.path] = max(a, self.max_active.get(rec.path, 0))

    def _end(self, rec):
        with self._lock:
            rec.end = time.monotonic()
            self.active[rec.path] -= 1

    def _add_bytes(self, path, n):
        with self._lock:
            self.bytes_sent[path] = self.bytes_sent.get(path, 0) + n

    def close(self):
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    # Manual use: python3 hostile_server.py, then curl the printed address.
    s = HostileServer()
    print(s.url("/"), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        s.close()
