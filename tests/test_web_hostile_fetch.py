"""Hostile web servers cannot exhaust the fetcher: compression bombs (gzip, gzip twice, br, zstd),
response headers sent a byte a second (fresh, pooled, through redirects and robots.txt), a 49 MB
sitemap and an index of five of them. Each case is timed and the test process's memory is
sampled while it runs. Also: the background refresh reads again what is due, `allow_hosts`
entries with a port, and URLs with control characters.

The figures each case measured are printed (`pytest -s`)."""

from __future__ import annotations

import functools
import gzip
import os
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from index.embedding.embed import Embedder
from index.errors import BlockedURLError, ConfigError, FeedError, FetchError, FetchTimeoutError, PageTooLargeError
from index.loading.web.decoding import BodyDecoder, BodyTooLarge, BrokenEncoding
from index.loading.web.addresses import AddressPolicy
from index.loading.web.fetch import Fetcher, FetchPolicy
from index.loading.web.refresh import WebIngestor
from index.loading.web.sitemaps import SitemapReader
from index.loading.web.state import WebState
from index.loading.web.urls import canonicalize
from qa.api import Assistant
from qa.background import BackgroundRefresh
from qa.config import Settings, load_settings
from qa.web_admin import WebAdmin

GiB = 1 << 30
MB = 1 << 20
MAX_GROWTH_MB = 150
SITEMAP_BYTES = 49 * MB  # under the 50 MB limit


# -- the bombs (made once, never holding 1 GiB) ---------------------------------------------------
def _compress_zeros(total: int, compressor: Any, finish: Callable[[], bytes]) -> bytes:
    zeros = bytes(MB)
    return b"".join([compressor(zeros) for _ in range(total // MB)] + [finish()])


@functools.cache
def gzip_bomb() -> bytes:
    """1 GiB of zeros, gzipped (about 1 MB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return _compress_zeros(GiB, z.compress, z.flush)


@functools.cache
def double_gzip_bomb() -> bytes:
    """The gzip bomb gzipped again (about 2 KB): `Content-Encoding: gzip, gzip`."""
    return gzip.compress(gzip_bomb(), 9)


@functools.cache
def br_bomb() -> bytes:
    """1 GiB of zeros as brotli (1.6 KB) when the package is there; else bytes labelled so (they
    must be refused undecoded either way)."""
    try:
        import brotli
    except ImportError:
        return b"\x8b\xff\xff\x7f" + bytes(1600)
    c = brotli.Compressor(quality=5)
    return _compress_zeros(GiB, c.process, c.finish)


@functools.cache
def zstd_bomb() -> bytes:
    try:
        import zstandard
    except ImportError:
        return b"\x28\xb5\x2f\xfd" + bytes(32_000)
    c = zstandard.ZstdCompressor(level=3).compressobj()
    return _compress_zeros(GiB, c.compress, c.flush)


@functools.cache
def sitemap_gzip_bomb() -> bytes:
    """A gzipped sitemap of 200 MB (whitespace inside <urlset>): past the 50 MB limit uncompressed."""
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = z.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    return head + b"".join(z.compress(b" " * MB) for _ in range(200)) + z.flush()


BOMBS = {"gzip": gzip_bomb, "gzip, gzip": double_gzip_bomb, "br": br_bomb, "zstd": zstd_bomb}


# -- measuring -----------------------------------------------------------------------------------
def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class Measured:
    """Time and peak RSS growth of the block (RSS sampled every 20 ms in a thread)."""

    def __init__(self, case: str) -> None:
        self.case = case
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Measured:
        self.base = self.peak = rss_mb()
        self._thread.start()
        self.started = time.monotonic()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())
        self.growth = self.peak - self.base

    def report(self, outcome: str) -> None:
        line = f"{self.case}: {outcome!r} after {self.seconds:.2f} s, peak RSS +{self.growth:.1f} MB"
        print("\n" + line)
        assert self.growth < MAX_GROWTH_MB, line


# -- the hostile server --------------------------------------------------------------------------
class Hostile:
    """A loopback HTTP/1.1 server (threads) that answers every way a hostile site might."""

    def __init__(self, sitemap: Path | None = None) -> None:
        self.sitemap = sitemap
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # body bytes written per path
        self.clients: list[tuple[str, tuple[str, int]]] = []  # (path, client address) per request
        self.gate, self.entered = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # type: ignore[method-assign] - clients hang up on purpose
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.stopping.set()
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(site: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path
            with site.lock:
                site.hits[path] += 1
                site.clients.append((path, self.client_address))
            try:
                self._route(path)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _route(self, path: str) -> None:
            host = self.headers.get("Host", "")
            if path == "/robots.txt" and host.startswith("localhost"):
                return self._drip()  # a robots.txt as slow as the page's headers
            if path.startswith("/bomb/"):
                encoding = {"gzip": "gzip", "gzip-gzip": "gzip, gzip", "br": "br", "zstd": "zstd"}[path[6:]]
                return self._send(BOMBS[encoding](), "text/html", {"Content-Encoding": encoding})
            if path == "/slow-headers":
                return self._drip()
            if path == "/ok":
                return self._send(b"<p>fine</p>", "text/html")
            if path.startswith("/hop/"):  # each hop well within timeout_s, together past the deadline
                time.sleep(1.0)
                self.send_response(302)
                self.send_header("Location", f"/hop/{int(path[5:]) + 1}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path == "/tab-redirect":
                self.send_response(302)
                self.send_header("Location", "/a\tb")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path == "/sitemap.xml" or path.startswith("/child/"):
                return self._send_file(path)
            if path == "/sitemap-index.xml":
                rows = "".join(f"<sitemap><loc>{site.url(f'/child/{n}.xml')}</loc><lastmod>2024-03-0{n + 1}</lastmod>"
                               f"</sitemap>" for n in range(5))
                body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'
                return self._send(body.encode(), "application/xml")
            if path == "/sitemap-bomb.xml.gz":
                return self._send(sitemap_gzip_bomb(), "application/gzip")
            if path == "/gated.xml":  # an administrator's refresh, held until the test lets it finish
                site.entered.set()
                site.gate.wait(30)
                return self._send(b'<rss version="2.0"><channel><title>Gated</title></channel></rss>',
                                  "application/rss+xml")
            return self._send(b"not here", "text/plain", status=404)

        def _send(self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
                  status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _send_file(self, path: str) -> None:
            assert site.sitemap is not None
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(site.sitemap.stat().st_size))
            self.end_headers()
            with site.sitemap.open("rb") as handle:
                while piece := handle.read(64 * 1024):
                    self.wfile.write(piece)
                    with site.lock:
                        site.sent[path] += len(piece)

        def _drip(self) -> None:
            """A status line, then headers one byte a second, forever."""
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for byte in b"X-Slow: " + b"a" * 100_000:
                if site.stopping.is_set():
                    return
                self.wfile.write(bytes([byte]))
                time.sleep(1.0)

    return Handler


@pytest.fixture(scope="module")
def sitemap_file(tmp_path_factory: pytest.TempPathFactory, hostile: Hostile) -> Path:
    """A 49 MB sitemap of distinct URLs on the hostile server, written once, streaming."""
    path = tmp_path_factory.mktemp("sitemaps") / "sitemap.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        base, n = hostile.url("/news/"), 0
        while out.tell() < SITEMAP_BYTES - MB // 4:
            out.write("".join(f"<url><loc>{base}{k:07d}-a-long-enough-slug-for-a-news-article</loc>"
                              f"<lastmod>2024-03-01T10:00:00Z</lastmod></url>\n" for k in range(n, n + 1000)))
            n += 1000
        out.write("</urlset>\n")
    hostile.sitemap = path
    return path


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    try:
        yield server
    finally:
        server.close()


def fetcher(**kw: Any) -> Fetcher:
    return Fetcher(FetchPolicy(**{"allow_hosts": ("127.0.0.1", "localhost"), **kw}))


# -- 1. compression bombs ------------------------------------------------------------------------
@pytest.mark.parametrize("path, expected", [
    ("/bomb/gzip", "page larger than 5 MB once decompressed (Content-Encoding: gzip)"),
    ("/bomb/gzip-gzip", "page larger than 5 MB once decompressed (Content-Encoding: gzip, gzip)"),
    ("/bomb/br", "unsupported Content-Encoding 'br': the server compressed the response in a way this fetcher "
                 "does not decode (it asks for gzip, deflate only)"),
    ("/bomb/zstd", "unsupported Content-Encoding 'zstd'"),
], ids=["gzip", "gzip-gzip", "br", "zstd"])
def test_compression_bombs_stop_at_the_limit_without_decoding_them(hostile: Hostile, path: str,
                                                                   expected: str) -> None:
    BOMBS[{"gzip": "gzip", "gzip-gzip": "gzip, gzip", "br": "br", "zstd": "zstd"}[path[6:]]]()  # made beforehand
    with fetcher() as f, Measured(f"{path} (1 GiB of zeros)") as m:
        with pytest.raises(FetchError) as raised:
            f.fetch(hostile.url(path))
    assert str(raised.value).startswith(expected)
    assert isinstance(raised.value, PageTooLargeError) == ("gzip" in path)
    assert m.seconds < 5
    m.report(str(raised.value))


def test_the_decoder_decodes_gzip_members_and_both_deflates_and_bounds_every_layer() -> None:
    text = b"<p>" + b"news " * 50_000 + b"</p>"
    deflated = zlib.compress(text)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    for encoding, body in [("gzip", gzip.compress(text[:1000]) + gzip.compress(text[1000:])),
                           ("deflate", deflated), ("deflate", raw.compress(text) + raw.flush()),
                           ("gzip, deflate", zlib.compress(gzip.compress(text))), ("identity", text),
                           ("x-gzip", gzip.compress(text) + bytes(100) + b"junk after the stream")]:
        decoder = BodyDecoder(encoding, limit=len(text))
        assert b"".join(p for i in range(0, len(body), 1000) for p in decoder.feed(body[i:i + 1000])) == text
    with pytest.raises(BodyTooLarge):
        list(BodyDecoder("gzip", limit=len(text) - 1).feed(gzip.compress(text)))
    noise = os.urandom(10_000)  # incompressible: its gzip form, the inner layer, is larger than it
    with pytest.raises(BodyTooLarge, match="gzip data decodes to more than 10000 bytes"):
        list(BodyDecoder("gzip, gzip", limit=len(noise)).feed(gzip.compress(gzip.compress(noise))))
    with pytest.raises(BrokenEncoding, match="broken gzip data"):
        list(BodyDecoder("gzip", limit=len(text)).feed(b"\x1f\x8b not gzip at all"))


def test_a_gzipped_sitemap_is_decompressed_only_up_to_its_limit(hostile: Hostile, tmp_path: Path) -> None:
    sitemap_gzip_bomb()
    with fetcher() as f, Measured("/sitemap-bomb.xml.gz (200 MB gzipped sitemap)") as m:
        report = WebIngestor(f, WebState(tmp_path), lambda articles: {}).ingest_sitemap(
            hostile.url("/sitemap-bomb.xml.gz"))
    assert (report.status, report.error) == ("failed", "sitemap larger than 50 MB uncompressed")
    assert m.seconds < 10
    m.report(report.error or "")


# -- 2. slow response headers: one deadline per fetch ---------------------------------------------
def test_headers_a_byte_a_second_are_given_up_at_the_deadline(hostile: Hostile) -> None:
    url = hostile.url("/slow-headers")
    with fetcher(deadline_s=3) as f, Measured("/slow-headers (1 byte/s), deadline 3 s") as m:
        with pytest.raises(FetchTimeoutError) as raised:
            f.fetch(url)
    assert str(raised.value) == f"timed out: fetching {url} took longer than 3 s"
    assert 2.9 < m.seconds < 3 + 2
    m.report(str(raised.value))


def test_a_pooled_keep_alive_connection_obeys_the_deadline_too(hostile: Hostile) -> None:
    with fetcher(deadline_s=3, respect_robots=False) as f:
        assert f.fetch(hostile.url("/ok")).content == b"<p>fine</p>"
        with Measured("/slow-headers on a pooled connection, deadline 3 s") as m:
            with pytest.raises(FetchTimeoutError, match="took longer than 3 s") as raised:
                f.fetch(hostile.url("/slow-headers"))
    clients = dict(hostile.clients[-2:])
    assert clients["/ok"] == clients["/slow-headers"]  # the same connection, reused
    assert m.seconds < 3 + 2
    m.report(str(raised.value))


def test_redirects_and_robots_txt_share_the_fetch_deadline(hostile: Hostile) -> None:
    url = hostile.url("/hop/0")
    with fetcher(deadline_s=3) as f, Measured("/hop/0: 1 s per redirect, deadline 3 s") as m:
        with pytest.raises(FetchTimeoutError, match=f"fetching {url} took longer than 3 s"):
            f.fetch(url)
    assert m.seconds < 3 + 2 and hostile.hits["/hop/2"] == 1
    m.report(f"timed out: fetching {url} took longer than 3 s")
    page = hostile.url("/ok", host="localhost")  # its robots.txt drips
    with fetcher(deadline_s=3) as f, Measured("robots.txt 1 byte/s, deadline 3 s") as m:
        with pytest.raises(FetchTimeoutError, match=f"fetching {page} took longer than 3 s"):
            f.fetch(page)
    assert m.seconds < 3 + 2
    m.report(f"timed out: fetching {page} took longer than 3 s")


def test_the_deadline_is_a_setting() -> None:
    settings = load_settings(None, env={"QA_WEB__FETCH_DEADLINE_S": "12", "QA_WEB__MAX_SITEMAP_MB": "20"})
    assert (settings.web.fetch_deadline_s, settings.web.max_sitemap_mb) == (12, 20)
    assert (Settings().web.fetch_deadline_s, Settings().web.max_sitemap_mb) == (30, 50)


# -- 3. sitemaps: streamed, capped while reading, children lazily ----------------------------------
def test_a_49_mb_sitemap_is_read_only_up_to_the_cap(hostile: Hostile, sitemap_file: Path, tmp_path: Path) -> None:
    assert 48 * MB < sitemap_file.stat().st_size < SITEMAP_BYTES
    with fetcher() as f, Measured("49 MB sitemap, max_entries 500") as m:
        report = WebIngestor(f, WebState(tmp_path), lambda articles: {}).ingest_sitemap(hostile.url("/sitemap.xml"))
    assert report.status == "ok" and len(report.items) == 500, report.error
    assert {i.reason for i in report.items} == {"HTTP 404 Not Found"}  # each URL read was tried
    assert "only the first 500 URLs listed were read (web.max_entries); the rest of the sitemap was not" \
        in report.warnings
    assert hostile.sent["/sitemap.xml"] < 8 * MB  # the download stopped (socket buffers aside)
    assert m.seconds < 20
    m.report(report.warnings[-1])


def test_a_sitemap_index_of_five_49_mb_children_reads_one_until_the_cap(hostile: Hostile, sitemap_file: Path,
                                                                         tmp_path: Path) -> None:
    with fetcher() as f, Measured("index of five 49 MB sitemaps, max_entries 500") as m:
        report = WebIngestor(f, WebState(tmp_path), lambda articles: {}).ingest_sitemap(
            hostile.url("/sitemap-index.xml"))
    assert report.status == "ok" and len(report.items) == 500, report.error
    children = {path: n for path, n in hostile.hits.items() if path.startswith("/child/")}
    assert children == {"/child/4.xml": 1}, children  # the newest (lastmod) first, and no other
    assert hostile.sent["/child/4.xml"] < 8 * MB
    assert m.seconds < 20
    m.report(report.warnings[-1])


@pytest.mark.parametrize("start, filler", [(b"<!--", b"x>"), (b'<url a="', b"x>"), (b"<u", b"xx")],
                         ids=["comment", "attribute", "tag name"])  # a '>' ends neither a comment nor a value
def test_a_huge_comment_attribute_or_tag_is_refused_before_expat_buffers_it(start: bytes, filler: bytes) -> None:
    reader = SitemapReader(max_urls=500)
    with Measured(f"sitemap with a 48 MB {start.decode()}...") as m, pytest.raises(FeedError) as raised:
        reader.feed(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + start)
        for _ in range(48 * 16):
            reader.feed(filler * 32 * 1024)
    assert str(raised.value) == "not a sitemap: a tag, attribute or comment longer than 1 MB"
    assert m.seconds < 5
    m.report(str(raised.value))


def test_the_sitemap_reader_refuses_a_doctype_as_soon_as_it_meets_it() -> None:
    reader = SitemapReader(max_urls=2)
    with pytest.raises(FeedError, match="DOCTYPE or ENTITY"):
        reader.feed(b'<?xml version="1.0"?>\n<!-- padding -->' + b" " * 10_000 +
                    b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    b"<urlset><url><loc>&b;</loc></url></urlset>")
    reader = SitemapReader(max_urls=2)
    for byte in b'<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2</loc></url>':
        assert not reader.feed(bytes([byte]))  # a byte at a time, gzip detection included
    assert reader.feed(b"<url><loc>https://a.example/3</loc></url>")  # the third: enough
    sitemap = reader.close()
    assert [u.canonical for u in sitemap.urls] == ["https://a.example/1", "https://a.example/2"] and sitemap.truncated


# -- 4. the background refresh reads again what is due ---------------------------------------------
def test_background_refresh_skips_a_source_an_administrator_refreshed_meanwhile(
        hostile: Hostile, settings: Settings, embedder: Embedder) -> None:
    settings.web.allow_hosts = ["127.0.0.1"]
    web = Assistant(settings, embedder=embedder).web
    url = hostile.url("/gated.xml")
    web.add_source(url)
    hostile.gate.clear()
    admin = threading.Thread(target=web.refresh, args=(url,), daemon=True)  # POST /api/sources/refresh
    admin.start()
    assert hostile.entered.wait(10), "the administrator's refresh never reached the feed"
    loop = BackgroundRefresh(web, check_s=60)
    asked = threading.Event()
    real = web.refresh

    def refresh(*args: Any, **kw: Any) -> Any:
        asked.set()  # the loop found the source due (never refreshed yet) and asks for it
        return real(*args, **kw)

    web.refresh = refresh  # type: ignore[method-assign]
    done: list[int] = []
    background = threading.Thread(target=lambda: done.append(loop.run_once()), daemon=True)
    background.start()
    try:
        assert asked.wait(10)
        time.sleep(0.2)  # it waits for the administrator's refresh
        assert background.is_alive() and hostile.hits["/gated.xml"] == 1
    finally:
        hostile.gate.set()
        admin.join(30)
        background.join(30)
    assert done == [0] and hostile.hits["/gated.xml"] == 1  # not read again straight after
    assert web.sources()[0].last_status == "ok"
    loop.stop()


# -- 5. allow_hosts entries with a port ------------------------------------------------------------
def test_allow_hosts_entries_with_a_port_allow_that_port_only(hostile: Hostile) -> None:
    policy = AddressPolicy(allow_hosts=["127.0.0.2:18082", "[::1]:8443", "10.20.0.0/16:443", "intranet:8080",
                                        "10.9.0.1"])
    policy.check("127.0.0.2", "127.0.0.2", 18082)
    policy.check("::1", "::1", 8443)
    policy.check("wiki", "10.20.3.4", 443)
    policy.check("intranet", "10.1.1.1", 8080)
    policy.check("10.9.0.1", "10.9.0.1", 22)  # no port: every port
    for host, address, port in [("127.0.0.2", "127.0.0.2", 80), ("::1", "::1", 443), ("wiki", "10.20.3.4", 80),
                                ("intranet", "10.1.1.1", 80)]:
        with pytest.raises(BlockedURLError, match=f"allowed by web.allow_hosts on port .* only, not on port {port}"):
            policy.check(host, address, port)
    with fetcher(allow_hosts=(f"127.0.0.1:{hostile.port}",), respect_robots=False) as f:
        assert f.fetch(hostile.url("/ok")).status == 200
    with fetcher(allow_hosts=(f"127.0.0.1:{hostile.port + 1}",)) as f, \
            pytest.raises(BlockedURLError, match=f"on port {hostile.port + 1} only, not on port {hostile.port}"):
        f.fetch(hostile.url("/ok"))
    with fetcher(allow_hosts=(f"[::1]:{hostile.port}",)) as f, pytest.raises(BlockedURLError, match="loopback"):
        f.fetch(hostile.url("/ok"))  # another address
    # The admin API checks a URL the same way before anything is fetched.
    settings = Settings()
    settings.web.allow_hosts = [f"127.0.0.1:{hostile.port}"]
    admin = WebAdmin(SimpleNamespace(settings=settings.web))  # type: ignore[arg-type]
    assert admin.check_url(hostile.url("/ok")) == hostile.url("/ok")
    with pytest.raises(BlockedURLError, match=f"on port {hostile.port} only, not on port 80"):
        admin.check_url("http://127.0.0.1/ok")
    for bad, reason in [("127.0.0.2:99999", "invalid port"), ("[::1]8080", "not \\[IPv6 address\\]:port"),
                        ("10.0.0.0/33", "not a valid address or network")]:
        with pytest.raises(ConfigError, match=reason):
            load_settings(None, env={"QA_WEB__ALLOW_HOSTS": f'["{bad}"]'})
    assert load_settings(None, env={"QA_WEB__ALLOW_HOSTS": '["127.0.0.2:18082", "[fd00::7]:443"]'}
                         ).web.allow_hosts == ["127.0.0.2:18082", "[fd00::7]:443"]


# -- 6. URLs with control characters ---------------------------------------------------------------
@pytest.mark.parametrize("suffix, name", [("\r\nX-Injected: 1", "line break"), ("\n", "line break"),
                                          ("\x00", "NUL"), ("\tx", "tab"), ("\x1b[31m", "U+001B")])
def test_urls_with_control_characters_are_refused_in_plain_words(hostile: Hostile, suffix: str, name: str) -> None:
    url = hostile.url("/ok?a=1") + suffix + "&b=2"
    expected = rf"^not a valid URL: it contains a control character \({re.escape(name)}\): '"
    with pytest.raises(BlockedURLError, match=expected):
        canonicalize(url)
    with fetcher() as f, pytest.raises(BlockedURLError, match=expected):
        f.fetch(url)
    assert hostile.hits["/ok?a=1"] == 0


def test_a_redirect_to_a_url_with_a_tab_or_a_url_httpx_refuses_is_a_plain_error(hostile: Hostile) -> None:
    with fetcher() as f:
        with pytest.raises(BlockedURLError, match=r"/tab-redirect redirects to an invalid URL \(Invalid non-printable "
                                                  r"ASCII character in URL, '\\t' at position 2\)$"):
            f.fetch(hostile.url("/tab-redirect"))
        with pytest.raises(BlockedURLError, match="^not a valid URL: URL too long"):
            f.fetch(hostile.url("/" + "a" * 70_000))
