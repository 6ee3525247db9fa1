"""The web tests' fixture and content: the fake site (`bench.fake_site`) started per test, and
realistic pages, RSS 2.0 / Atom feeds and sitemaps to serve from it.

    def test_x(site: Site) -> None:
        site.page("/a", article_html("Title", "2024-03-01", ["Text."]))
        site.url("/a")          # http://127.0.0.1:PORT/a
        site.hits["/a"]         # requests so far
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
from collections.abc import Iterator
from typing import Any
from email.utils import format_datetime

import pytest

from bench.fake_site import FakeSite, Site


@pytest.fixture
def site() -> Iterator[Site]:
    """A fresh fake site on a free loopback port, shut down after the test."""
    with FakeSite() as fake:
        yield fake


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


# Four short news stories of one town, paragraph by paragraph: the fake site's articles.
HARBOUR = ["The harbour of Lowtown reopened on Friday after a storm closed it for nine days, the port authority said.",
           "Repairs to the northern pier cost 2.4 million euros and were paid for by the regional government.",
           "Fishermen said the first boats would leave on Monday morning at six o'clock."]
LIBRARY = ["Lowtown's public library will stay open until midnight during the exam period, the council announced.",
           "The extended hours start on 3 June and cost the city about 40,000 euros in staff overtime.",
           "Students had collected 1,200 signatures asking for longer opening times."]
TRAM = ["The new tram line between the station and the university will open in September, the transport office said.",
        "Trams will run every seven minutes at peak hours and every fifteen minutes at night.",
        "The project was delayed by two years because of a dispute with the construction company."]
BRIDGE = ["The old stone bridge over the Lowe river will be closed to cars from April for restoration work.",
          "Pedestrians and cyclists can still cross on a temporary walkway built beside it.",
          "The restoration is expected to take eighteen months and cost 6 million euros."]


def publish(site: Site, path: str, title: str, date: str, paragraphs: list[str], **kw: Any) -> dict[str, str]:
    """Serve an article page at `path` and return its feed item (for `rss`)."""
    site.page(path, article_html(title, date, paragraphs, author="Maria Stone", **kw))
    return {"title": title, "link": site.url(path), "guid": f"lowtown-{path}", "date": date,
            "description": paragraphs[0]}


def three_articles(site: Site) -> list[dict[str, str]]:
    """The harbour, library and tram stories published on `site`, as feed items."""
    return [publish(site, "/news/harbour", "Lowtown harbour reopens after storm", "2024-03-01", HARBOUR),
            publish(site, "/news/library", "Library extends opening hours for exams", "2024-03-02", LIBRARY),
            publish(site, "/news/tram", "Tram line to the university opens in September", "2024-03-03", TRAM)]
