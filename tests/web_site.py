"""A fake news site on loopback for the web tests: pages, feeds, sitemaps, redirects, 304s, slow
and huge answers, robots.txt; it counts requests so that tests can assert what was fetched.

    def test_x(site: Site) -> None:
        site.page("/a", article_html("Title", "2024-03-01", ["Text."]))
        site.url("/a")          # http://127.0.0.1:PORT/a
        site.hits["/a"]         # requests so far

The `site` fixture starts it (stdlib `http.server` in a thread) and shuts it down after the test.
"""

from __future__ import annotations

import gzip
import html
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import datetime as dt

import pytest


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
    """The routes, the request log and the server's address."""

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


@pytest.fixture
def site() -> Iterator[Site]:
    """A fresh fake site on a free loopback port, shut down after the test."""
    fake = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.server, fake.port = server, server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="fake-site", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- content ---------------------------------------------------------------------------------
NAV = """<header class="site-header"><a href="/">The Lowtown Courier</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/business">Business</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now for $1 a week</a></li></ul></nav></header>"""
FOOTER = """<footer><p>Copyright 2024 The Lowtown Courier Media Group. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li>
<li><a href="/contact">Contact the newsroom</a></li></ul></footer>"""
COMMENTS = """<section id="comments" class="comments"><h2>Comments (2)</h2>
<div class="comment"><p class="author">greg_77</p><p>Totally agree with the mayor, about time someone said it loud.</p></div>
<div class="comment"><p class="author">anna.b</p><p>This newspaper never reports the other side of the story, unsubscribed.</p></div>
</section>"""
ADS = """<aside class="related"><h3>Most read</h3><ul><li><a href="/x">Ten recipes for a rainy weekend</a></li>
<li><a href="/y">Celebrity chef opens a second restaurant downtown</a></li></ul></aside>
<div class="ad-slot advertisement">Advertisement: Lowtown Motors spring sale, zero percent financing</div>"""
BOILERPLATE_WORDS = ("Subscribe", "Copyright", "Privacy", "greg_77", "unsubscribed", "Advertisement",
                     "recipes", "Celebrity", "Most read")


def article_html(title: str, date: str | None, paragraphs: list[str], *, author: str | None = None,
                 canonical: str | None = None, og_url: str | None = None, boilerplate: bool = True) -> str:
    """A news page: its article, and (with `boilerplate`) a menu, ads, related links, comments, footer."""
    meta = []
    if date:
        meta.append(f'<meta property="article:published_time" content="{date}T08:00:00Z">')
    if author:
        meta.append(f'<meta name="author" content="{html.escape(author)}">')
    if canonical:
        meta.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    if og_url:
        meta.append(f'<meta property="og:url" content="{html.escape(og_url)}">')
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    byline = f'<p class="byline">By {html.escape(author)}</p>' if author else ""
    when = f'<time datetime="{date}">{date}</time>' if date else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | The Lowtown Courier</title>{''.join(meta)}</head>
<body>{NAV if boilerplate else ''}
<main><article><h1>{html.escape(title)}</h1>{byline}{when}
{body}
</article>{ADS if boilerplate else ''}{COMMENTS if boilerplate else ''}</main>
{FOOTER if boilerplate else ''}</body></html>"""


def rfc822(date: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(date + "T09:00:00+00:00"))


def rss(items: list[dict[str, str]], title: str = "The Lowtown Courier") -> str:
    """RSS 2.0: each item's title, link, guid, date (YYYY-MM-DD), description, content."""
    parts = []
    for item in items:
        fields = [f"<title>{html.escape(item['title'])}</title>"]
        if item.get("link"):
            fields.append(f"<link>{html.escape(item['link'])}</link>")
        if item.get("guid"):
            fields.append(f'<guid isPermaLink="false">{html.escape(item["guid"])}</guid>')
        if item.get("date"):
            fields.append(f"<pubDate>{rfc822(item['date'])}</pubDate>")
        if item.get("description"):
            fields.append(f"<description>{html.escape(item['description'])}</description>")
        if item.get("content"):
            fields.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{html.escape(title)}</title><link>http://example.invalid/</link><description>News</description>"
            + "".join(parts) + "</channel></rss>")


def atom(entries: list[dict[str, str]], title: str = "Lowtown Atom") -> str:
    """Atom 1.0: each entry's title, link, id, date (published), updated, summary."""
    parts = []
    for e in entries:
        updated = e.get("updated", e.get("date", "2024-01-01")) + "T10:00:00Z"
        fields = [f"<title>{html.escape(e['title'])}</title>", f"<id>{html.escape(e.get('id', e.get('link', '')))}</id>",
                  f"<updated>{updated}</updated>"]
        if e.get("link"):
            fields.append(f'<link rel="alternate" href="{html.escape(e["link"])}"/>')
        if e.get("date"):
            fields.append(f"<published>{e['date']}T09:00:00Z</published>")
        if e.get("summary"):
            fields.append(f"<summary>{html.escape(e['summary'])}</summary>")
        if e.get("author"):
            fields.append(f"<author><name>{html.escape(e['author'])}</name></author>")
        parts.append("<entry>" + "".join(fields) + "</entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{html.escape(title)}</title><id>urn:lowtown</id><updated>2024-03-01T00:00:00Z</updated>"
            + "".join(parts) + "</feed>")


def sitemap(urls: list[tuple[str, str | None]], news: bool = False) -> str:
    """A urlset of (loc, lastmod); `news`: Google news sitemap publication dates instead."""
    rows = []
    for loc, lastmod in urls:
        if news:
            rows.append(f"<url><loc>{html.escape(loc)}</loc><news:news><news:publication><news:name>Courier"
                        f"</news:name><news:language>en</news:language></news:publication>"
                        f"<news:publication_date>{lastmod}</news:publication_date><news:title>T</news:title>"
                        f"</news:news></url>")
        else:
            rows.append(f"<url><loc>{html.escape(loc)}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
                        + "</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(rows) + "</urlset>")


def sitemap_index(children: list[tuple[str, str | None]]) -> str:
    rows = "".join(f"<sitemap><loc>{html.escape(loc)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</sitemap>"
                   for loc, m in children)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + rows + "</sitemapindex>")


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))
