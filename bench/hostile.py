"""`python -m bench.hostile`: a hostile web site and hostile clients against a real `qa serve`.

    python -m bench.hostile [--only br_bomb,slow_headers,...] [--keep-data]

Starts `qa serve` on loopback with an admin password, lets it fetch from a hostile loopback site
(`HostileSite`: compression bombs, headers at one byte a second, 49 MB sitemaps), and plays the
hostile clients itself (1 GiB chunked bodies without a password, 1,100 concurrent wrong
passwords, a server file path in a Gradio upload). For each case it records the response, the
server's peak memory growth (RSS sampled every 20 ms from /proc), the time to give up, and the
slowest `/api/health` answer while the case ran (polled every 100 ms with a 1 s timeout). The
table is printed and written to `bench/results/` (`*-hostile.md`); `tests/test_hostile_server.py`
runs the same cases and holds the limits (memory growth <= 150 MB, give-up time <= the fetch
deadline + 2 s, health always within 1 s).

Every request goes to 127.0.0.0/8 only, loops are bounded in count and time, and the site stops
with the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import select
import socket
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PASSWORD = "hostile-bench correct horse"
GIB = 1024 ** 3
MEMORY_LIMIT_MB = 150.0
HEALTH_LIMIT_S = 1.0


# -- the hostile site ----------------------------------------------------------------------------
def _deflate_stream(chunks: Iterator[bytes], wbits: int) -> bytes:
    """Compress a stream of chunks without holding what they add up to."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = bytearray()
    for chunk in chunks:
        out += compressor.compress(chunk)
    return bytes(out + compressor.flush())


def _zeros(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(size)
    for _ in range(total // size):
        yield block


def gzip_bomb(total: int = GIB) -> bytes:
    """`total` zero bytes, gzipped (about 1 MB for 1 GiB)."""
    return _deflate_stream(_zeros(total), 31)


def double_gzip_bomb(total: int = GIB) -> bytes:
    """The gzip bomb gzipped again (`Content-Encoding: gzip, gzip`): a few KB on the wire."""
    return _deflate_stream(iter([gzip_bomb(total)]), 31)


def brotli_bomb(total: int = GIB) -> bytes:
    """`total` zero bytes in brotli when a brotli package is there; else bytes labelled as such
    (a fetcher that refuses the encoding never decodes them either way)."""
    try:
        import brotli  # type: ignore[import-not-found]
    except ImportError:
        return b"\x8b\xff\x7f" + bytes(1600)
    compressor = brotli.Compressor(quality=5)
    out = bytearray()
    for chunk in _zeros(total):
        out += compressor.process(chunk)
    return bytes(out + compressor.finish())


def zstd_bomb(total: int = GIB) -> bytes:
    """`total` zero bytes in zstd when `zstandard` is there; else a zstd frame header and filler."""
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        return b"\x28\xb5\x2f\xfd" + bytes(4800)
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    out = bytearray()
    for chunk in _zeros(total):
        out += compressor.compress(chunk)
    return bytes(out + compressor.flush())


def big_sitemap(base: str, target_bytes: int = 49 * 1024 * 1024, prefix: str = "a") -> bytes:
    """A urlset of about `target_bytes` (the sitemaps.org limit is 50 MB), URLs on `base`."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    parts = [head]
    size, n = len(head), 0
    while size < target_bytes:
        line = (f"<url><loc>{base}/{prefix}/{n:07d}</loc><lastmod>2024-03-01</lastmod>"
                f"<changefreq>hourly</changefreq></url>\n").encode()
        parts.append(line)
        size += len(line)
        n += 1
    parts.append(b"</urlset>\n")
    return b"".join(parts)


def sitemap_index(base: str, children: int = 5) -> bytes:
    items = "".join(f"<sitemap><loc>{base}/sitemap-{i}.xml</loc><lastmod>2024-03-01</lastmod></sitemap>\n"
                    for i in range(children))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</sitemapindex>\n').encode()


def bomb_feed(base: str) -> bytes:
    """An RSS feed whose two entries link to compression bombs."""
    items = "".join(f"<item><title>Story {name}</title><link>{base}/{name}</link><guid>{base}/{name}</guid>"
                    f"<description>A short summary of story {name}.</description>"
                    f"<pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate></item>"
                    for name in ("br-bomb", "gzip-gzip-bomb"))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bombs</title><link>{base}/</link>'
            f"<description>hostile</description>{items}</channel></rss>").encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        """A fetcher that hangs up mid-bomb is the expected outcome, not an error to print."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HostileSite:
    """A loopback site serving each hostile case; started and stopped with `with`."""

    SLOW_HEADER_CAP_S = 180  # the slow server gives up by itself after this long

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.server = _QuietServer((host, 0), self._handler())
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.routes: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.slow_header_started: list[float] = []
        self._thread = threading.Thread(target=self.server.serve_forever, name="hostile-site", daemon=True)

    def __enter__(self) -> HostileSite:
        self._build()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _build(self) -> None:
        xml = {"Content-Type": "application/xml"}
        self.routes = {
            "/robots.txt": (b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}),
            "/br-bomb": (brotli_bomb(), {"Content-Type": "text/html", "Content-Encoding": "br"}),
            "/zstd-bomb": (zstd_bomb(), {"Content-Type": "text/html", "Content-Encoding": "zstd"}),
            "/gzip-bomb": (gzip_bomb(), {"Content-Type": "text/html", "Content-Encoding": "gzip"}),
            "/gzip-gzip-bomb": (double_gzip_bomb(), {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}),
            "/bomb-feed.xml": (bomb_feed(self.base), {"Content-Type": "application/rss+xml"}),
            "/sitemap-index.xml": (sitemap_index(self.base), xml),
        }
        big = big_sitemap(self.base)
        self.routes["/big-sitemap.xml"] = (big, xml)
        for i in range(5):  # the index's children: the same size, other URLs (built once: 49 MB each)
            self.routes[f"/sitemap-{i}.xml"] = (big.replace(b"/a/", f"/c{i}/".encode()), xml)

    def wire_size(self, path: str) -> int:
        return len(self.routes[path][0])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/slow-headers":
                    self._slow_headers()
                    return
                if path not in site.routes:  # article pages of the sitemaps: gone
                    self._send(404, b"not here", {"Content-Type": "text/plain"})
                    return
                body, headers = site.routes[path]
                self._send(200, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _slow_headers(self) -> None:
                """The status line, then header bytes one a second (never a blank line)."""
                site.slow_header_started.append(time.monotonic())
                started = time.monotonic()
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    self.wfile.flush()
                    while time.monotonic() - started < site.SLOW_HEADER_CAP_S:
                        time.sleep(1.0)
                        self.wfile.write(b"a")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass
                self.close_connection = True

        return Handler


# -- watching the server -------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


class Watch:
    """While a case runs: the server's RSS every 20 ms and `/api/health` every 100 ms."""

    def __init__(self, pid: int, url: str) -> None:
        self.pid, self.url = pid, url
        self.baseline = rss_mb(pid)
        self.peak = self.baseline
        self.health_max_s = 0.0
        self.health_failures = 0
        self.health_checks = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._memory, daemon=True),
                         threading.Thread(target=self._health, daemon=True)]

    def __enter__(self) -> Watch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    @property
    def growth_mb(self) -> float:
        return self.peak - self.baseline

    def _memory(self) -> None:
        while not self._stop.wait(0.02):
            with contextlib.suppress(OSError, RuntimeError):
                self.peak = max(self.peak, rss_mb(self.pid))

    def _health(self) -> None:
        # A client of its own, from another loopback address than the attackers' (127.0.0.1).
        transport = httpx.HTTPTransport(local_address="127.0.0.3")
        with httpx.Client(transport=transport, timeout=HEALTH_LIMIT_S) as client:
            while not self._stop.wait(0.1):
                started = time.monotonic()
                try:
                    ok = client.get(f"{self.url}/api/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.health_checks += 1
                self.health_max_s = max(self.health_max_s, time.monotonic() - started)
                if not ok:
                    self.health_failures += 1


@dataclass
class Result:
    case: str
    response: str
    seconds: float
    memory_growth_mb: float
    health_max_s: float
    health_failures: int
    limit_s: float
    ok: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def cells(self) -> list[str]:
        return [self.case, self.response[:110].replace("|", "/"), f"{self.seconds:.1f}", f"{self.limit_s:g}",
                f"{self.memory_growth_mb:.0f}", f"{self.health_max_s * 1000:.0f}", str(self.health_failures),
                "yes" if self.ok else "**no**"]


# -- the hostile clients -------------------------------------------------------------------------
def chunked_upload(url: str, path: str, total: int, headers: dict[str, str] | None = None,
                   wait_s: float = 120.0) -> tuple[str, int]:
    """POST `total` bytes chunked (no Content-Length) to `path` over a raw socket, stopping as soon
    as the server answers; returns (the response's status line and start of its body, bytes sent)."""
    host, port = url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=wait_s)
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
            "Transfer-Encoding: chunked", *(f"{k}: {v}" for k, v in (headers or {}).items()), "", ""]
    piece = b'{"urls": ["' + b"x" * (64 * 1024 - 11)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    deadline = time.monotonic() + wait_s
    try:
        sock.sendall("\r\n".join(head).encode())
        while sent < total and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        answer = b""
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in answer or len(answer) < 200:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        text = answer.decode("latin-1")
        status = text.split("\r\n", 1)[0]
        body = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
        return f"{status} {body[:160]}".strip(), sent
    finally:
        sock.close()


async def password_flood(url: str, n: int, path: str = "/api/sources/refresh") -> dict[str, int]:
    """`n` concurrent admin requests with wrong passwords; returns the count of each status."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    counts: dict[str, int] = {}
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        async def one(i: int) -> str:
            try:
                response = await client.post(f"{url}{path}", json={},
                                             headers={"Authorization": f"Bearer wrong-{i}"})
                return str(response.status_code)
            except httpx.HTTPError as exc:
                return type(exc).__name__

        for status in await asyncio.gather(*(one(i) for i in range(n))):
            counts[status] = counts.get(status, 0) + 1
    return counts


def gradio_call(url: str, api_name: str, data: list[Any], timeout: float = 60) -> str:
    """Call a Gradio endpoint as gradio_client does (POST /call, then read the event stream);
    returns the stream's final event and data."""
    with httpx.Client(timeout=timeout) as client:
        posted = client.post(f"{url}/gradio_api/call/{api_name}", json={"data": data})
        if posted.status_code != 200:
            return f"HTTP {posted.status_code}: {posted.text[:200]}"
        event_id = posted.json()["event_id"]
        last = ""
        with client.stream("GET", f"{url}/gradio_api/call/{api_name}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    last = line
                elif line.startswith("data:") and last in ("event: complete", "event: error"):
                    return f"{last[7:]}: {line[5:].strip()[:200]}"
        return last or "no event"


# -- the run -------------------------------------------------------------------------------------
class HostileRun:
    """One `qa serve` and one hostile site; each case method returns a `Result`."""

    def __init__(self, url: str, pid: int, site: HostileSite, deadline_s: float) -> None:
        self.url, self.pid, self.site, self.deadline_s = url, pid, site, deadline_s
        self.admin = {"Authorization": f"Bearer {PASSWORD}"}

    def _measure(self, case: str, limit_s: float, action: Callable[[], tuple[str, bool, dict[str, Any]]]) -> Result:
        with Watch(self.pid, self.url) as watch:
            started = time.monotonic()
            response, passed, detail = action()
            seconds = time.monotonic() - started
            time.sleep(0.3)  # one more memory sample and health check after the answer
        ok = (passed and seconds <= limit_s and watch.growth_mb <= MEMORY_LIMIT_MB
              and watch.health_failures == 0 and watch.health_max_s <= HEALTH_LIMIT_S)
        return Result(case, response, seconds, watch.growth_mb, watch.health_max_s, watch.health_failures,
                      limit_s, ok, detail)

    def _post(self, path: str, body: dict[str, Any], timeout: float) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.admin, timeout=timeout)

    def _page(self, name: str) -> Result:
        def action() -> tuple[str, bool, dict[str, Any]]:
            response = self._post("/api/articles/url", {"urls": [f"{self.site.base}/{name}"]}, self.deadline_s + 60)
            error = response.json().get("error", "") if response.status_code != 200 else response.text[:200]
            return f"{response.status_code} {error}", response.status_code == 422, {}

        return self._measure(name, self.deadline_s + 2, action)

    def bomb_feed(self) -> Result:
        def action() -> tuple[str, bool, dict[str, Any]]:
            response = self._post("/api/sources", {"url": f"{self.site.base}/bomb-feed.xml", "kind": "feed",
                                                   "refresh": True}, 2 * self.deadline_s + 60)
            body = response.json()
            report = (body.get("report") or {}).get("sources", [{}])[0] if response.status_code < 300 else {}
            items = [f"{i.get('status')} ({'; '.join([i.get('reason') or '', *i.get('warnings', [])]).strip('; ')})"
                     [:110] for i in report.get("items", [])]
            return (f"{response.status_code} {'; '.join(items) or body.get('error', '')}",
                    response.status_code in (200, 201), {"items": items})

        return self._measure("feed linking to two bombs", 2 * self.deadline_s + 2, action)

    def _sitemap(self, case: str, path: str) -> Result:
        def action() -> tuple[str, bool, dict[str, Any]]:
            response = self._post("/api/sources", {"url": f"{self.site.base}/{path}", "kind": "sitemap",
                                                   "refresh": True}, 300)
            body = response.json()
            source = (body.get("report") or {}).get("sources", [{}])[0] if response.status_code < 300 else {}
            summary = source.get("summary") or body.get("error", "")
            errors = f" {source.get('error')}" if source.get("error") else ""
            return f"{response.status_code} {json.dumps(summary)}{errors}", response.status_code in (200, 201), \
                {"entries": len(source.get("items", []))}

        return self._measure(case, self.deadline_s + 2, action)

    def _big_body(self, path: str, *, authorized: bool = False) -> Result:
        expected = "HTTP/1.1 413" if authorized else "HTTP/1.1 401"

        def action() -> tuple[str, bool, dict[str, Any]]:
            response, sent = chunked_upload(self.url, path, GIB, headers=self.admin if authorized else None)
            return f"{response} (sent {sent / 1e6:.1f} MB)", response.startswith(expected), {"sent": sent}

        password = "right password" if authorized else "no password"
        return self._measure(f"1 GiB chunked body, {password}: {path}", 2.0, action)

    def password_flood(self) -> Result:
        def action() -> tuple[str, bool, dict[str, Any]]:
            counts = asyncio.run(password_flood(self.url, 1100))
            # The right password, from another address, straight after the flood.
            transport = httpx.HTTPTransport(local_address="127.0.0.2")
            with httpx.Client(transport=transport, timeout=30) as client:
                started = time.monotonic()
                right = client.get(f"{self.url}/api/sources")  # public: the server still answers
                right = client.delete(f"{self.url}/api/sources", params={"url": "https://example.org/none.xml"},
                                      headers=self.admin)
                right_s = time.monotonic() - started
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            passed = set(counts) <= {"401", "429"} and right.status_code == 404
            return (f"wrong: {statuses}; right password from 127.0.0.2: {right.status_code} in {right_s:.2f} s",
                    passed, {"counts": counts, "right_status": right.status_code, "right_s": right_s})

        return self._measure("1,100 concurrent wrong passwords", 30.0, action)

    def upload_server_path(self) -> Result:
        def action() -> tuple[str, bool, dict[str, Any]]:
            before = {a["id"] for a in httpx.get(f"{self.url}/api/articles", timeout=30).json()}
            target = str(ROOT / "README.md")
            file_data = [{"path": target, "meta": {"_type": "gradio.FileData"}, "orig_name": "README.md"}]
            right = gradio_call(self.url, "upload", [PASSWORD, file_data])
            wrong = gradio_call(self.url, "upload", ["wrong password", file_data])
            after = {a["id"] for a in httpx.get(f"{self.url}/api/articles", timeout=30).json()}
            added = sorted(after - before)
            return (f"right password: {right}; wrong: {wrong}; articles added: {len(added)}",
                    not added and "error" in right and "error" in wrong, {"added": added})

        return self._measure("server file path in an upload", 30.0, action)

    def run(self, case: str) -> Result:
        """Play one of `CASES`."""
        big_sitemap_mb = self.site.wire_size("/big-sitemap.xml") / 1e6
        cases: dict[str, Callable[[], Result]] = {
            "br_bomb": lambda: self._page("br-bomb"),
            "zstd_bomb": lambda: self._page("zstd-bomb"),
            "gzip_gzip_bomb": lambda: self._page("gzip-gzip-bomb"),
            "gzip_bomb": lambda: self._page("gzip-bomb"),
            "bomb_feed": self.bomb_feed,
            "slow_headers": lambda: self._page("slow-headers"),
            "sitemap_49mb": lambda: self._sitemap(f"49 MB sitemap ({big_sitemap_mb:.0f} MB)", "big-sitemap.xml"),
            "sitemap_index": lambda: self._sitemap("sitemap index of five 49 MB sitemaps", "sitemap-index.xml"),
            "big_body_articles_url": lambda: self._big_body("/api/articles/url"),
            "big_body_sources": lambda: self._big_body("/api/sources"),
            "big_body_refresh": lambda: self._big_body("/api/sources/refresh"),
            "big_body_authorized": lambda: self._big_body("/api/articles/url", authorized=True),
            "password_flood": self.password_flood,
            "upload_server_path": self.upload_server_path,
        }
        return cases[case]()

    CASES = ("br_bomb", "zstd_bomb", "gzip_gzip_bomb", "gzip_bomb", "bomb_feed", "slow_headers", "sitemap_49mb",
             "sitemap_index", "big_body_articles_url", "big_body_sources", "big_body_refresh",
             "big_body_authorized", "password_flood", "upload_server_path")


@contextlib.contextmanager
def hostile_server(data_dir: Path, site: HostileSite, *, log_path: Path) -> Iterator[tuple[str, int]]:
    """`qa serve` with an admin password, the hostile site's address allowed, its own data dir."""
    port = _free_port()
    env = {**os.environ, "QA_DATA__DIR": str(data_dir), "QA_ADMIN_PASSWORD": PASSWORD,
           "QA_WEB__ALLOW_HOSTS": f'["{site.host}"]', "QA_WEB__REFRESH_CHECK_S": "3600",
           "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    qa = str(Path(sys.executable).with_name("qa"))
    url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess_popen([qa, "serve", "--port", str(port), "--ingest-if-empty", str(ROOT / "data/articles")],
                                log, env)
        try:
            deadline = time.monotonic() + 180
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"qa serve did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - it must not outlive the run
                proc.kill()
                proc.wait()


def subprocess_popen(args: list[str], log: Any, env: dict[str, str]) -> Any:  # noqa: ANN401
    import subprocess

    return subprocess.Popen(args, stdout=log, stderr=log, env=env, cwd=ROOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch_deadline_s() -> float:
    """The documented whole-fetch deadline (`web.fetch_deadline_s`, or four read timeouts)."""
    from qa.config import WebSettings

    fields = WebSettings.model_fields
    if "fetch_deadline_s" in fields:
        return float(fields["fetch_deadline_s"].default)
    return 4 * float(fields["timeout_s"].default)


def run_cases(names: list[str], work: Path) -> list[Result]:
    results = []
    with HostileSite() as site, hostile_server(work / "data", site, log_path=work / "serve.log") as (url, pid):
        run = HostileRun(url, pid, site, fetch_deadline_s())
        for name in names:
            result = run.run(name)
            print(" | ".join(result.cells()), flush=True)
            results.append(result)
    return results


HEADER = ["case", "response", "seconds", "limit s", "memory growth MB", "health max ms", "health failures", "ok"]


def write_results(results: list[Result], seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    name = f"{stamp}-{platform.node() or 'host'}-hostile"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    lines = [f"# Hostile servers and clients {stamp}", "",
             f"Machine: {cpu}, {os.cpu_count()} cores; took {seconds / 60:.1f} min. Command: "
             f"`python -m bench.hostile`. Limits: memory growth <= {MEMORY_LIMIT_MB:g} MB, "
             f"`/api/health` within {HEALTH_LIMIT_S:g} s throughout, give-up time <= the limit.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in results]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    return RESULTS / f"{name}.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(HostileRun.CASES), help="comma-separated cases")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(HostileRun.CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(HostileRun.CASES)}")
    started = time.monotonic()
    print(" | ".join(HEADER), flush=True)
    with tempfile.TemporaryDirectory(prefix="qa-hostile-") as work:
        results = run_cases(names, Path(work))
    path = write_results(results, time.monotonic() - started)
    print(f"\nwritten to {path.relative_to(ROOT)}")
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
