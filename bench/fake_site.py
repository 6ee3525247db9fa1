"""A fake news site on loopback, for the web tests and the benchmark: pages, feeds, sitemaps,
redirects, 304s, slow and huge answers, robots.txt; it counts requests so that callers can
assert what was fetched.

    with FakeSite() as site:
        site.page("/a", "<html>...</html>", etag='"v1"')
        site.url("/a")          # http://127.0.0.1:PORT/a
        site.hits["/a"]         # requests so far; site.not_modified["/a"]: answered 304
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (False: the body ends when the connection closes)


class Site:
    """The routes, the request log and the server's address; `start()`/`stop()` or `with`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def page(self, path: str, body: str | bytes, **kw: object) -> Route:
        route = Route(body.encode("utf-8") if isinstance(body, str) else body, **kw)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status=status, headers={"Location": location})

    def feed(self, path: str, xml: str, etag: str | None = None, content_type: str = "application/rss+xml") -> Route:
        return self.page(path, xml, content_type=content_type, etag=etag)

    def reset_counts(self) -> None:
        with self.lock:
            self.hits.clear()
            self.not_modified.clear()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            path = self.path if self.path in site.routes else self.path.split("?", 1)[0]
            with site.lock:
                site.hits[path] += 1
                site.headers[path] = {k.lower(): v for k, v in self.headers.items()}
            route = site.routes.get(path)
            if route is None:
                self._send(404, b"not found", "text/plain")
                return
            if route.delay_s:
                time.sleep(route.delay_s)
            if route.status == 200 and (
                    (route.etag and self.headers.get("If-None-Match") == route.etag) or
                    (route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)):
                with site.lock:
                    site.not_modified[path] += 1
                self.send_response(304)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = dict(route.headers)
            if route.etag:
                headers["ETag"] = route.etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            self._send(route.status, route.body, route.content_type, headers, route.length)

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None,
                  length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    return Handler



class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading (the size limit, a timeout) is what the tests do on purpose


class FakeSite(Site):
    """A `Site` served by a stdlib HTTP server in a thread on a free loopback port."""

    def __enter__(self) -> FakeSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="fake-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(timeout=5)
            self.server = None
