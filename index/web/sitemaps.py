"""Sitemaps as a source of article URLs: `sitemap.xml`, sitemap indexes, Google news sitemaps.

    >>> sitemap = parse_sitemap(data, "https://example.org/sitemap.xml")
    >>> sitemap.kind, [(u.loc, u.lastmod) for u in sitemap.urls]

Each URL's `<lastmod>` (or, in a news sitemap, `<news:publication_date>`) is its fingerprint:
`index.web.refresh` fetches a URL again only when it changed. Gzipped sitemaps (`.xml.gz`)
are read too, decompressed up to a size limit.

Parsed with the standard library's ElementTree after refusing any document that declares a
DOCTYPE or an ENTITY: a sitemap needs neither, and refusing them rules out entity expansion
("billion laughs") and external entities.
"""

from __future__ import annotations

import gzip
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from index.dates import parse_date
from index.errors import BlockedURLError, FeedError
from index.web.urls import canonicalize

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


@dataclass(frozen=True)
class SitemapURL:
    """One `<url>` (or `<sitemap>` of an index)."""

    loc: str  # as given (fetched as is)
    canonical: str
    lastmod: str | None = None  # as given: the fingerprint
    date: str | None = None  # YYYY-MM-DD: the news publication date, else lastmod's date
    title: str | None = None  # news:title

    @property
    def fingerprint(self) -> str:
        return self.lastmod or ""


@dataclass
class Sitemap:
    kind: str  # "urlset" or "index"
    urls: list[SitemapURL] = field(default_factory=list)  # article pages (urlset)
    sitemaps: list[SitemapURL] = field(default_factory=list)  # child sitemaps (index)
    warnings: list[str] = field(default_factory=list)


def parse_sitemap(data: bytes, base_url: str | None = None) -> Sitemap:
    """Parse a sitemap or sitemap index (gzipped or not).

    Raises:
        FeedError: Not a sitemap, too large, or declaring a DOCTYPE/ENTITY.
    """
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
    if _DECLARATION.search(data[:4096]) or b"<!ENTITY" in data:
        raise FeedError("sitemap refused: it declares a DOCTYPE or ENTITY, which sitemaps never need")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"not a sitemap: invalid XML ({exc})") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap: the document is <{kind}>, not <urlset> or <sitemapindex>")
    sitemap = Sitemap("index" if kind == "sitemapindex" else "urlset")
    for element in root:
        name = _local(element.tag)
        if name not in ("url", "sitemap"):
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in element}
        news = next((child for child in element if _local(child.tag) == "news"), None)
        if news is not None:
            for child in news.iter():
                fields[f"news:{_local(child.tag)}"] = (child.text or "").strip()
        loc = fields.get("loc", "")
        try:
            canonical = canonicalize(loc, base=base_url)
        except BlockedURLError as exc:
            sitemap.warnings.append(f"skipped <loc> {loc[:80]!r}: {exc}")
            continue
        lastmod = fields.get("lastmod") or fields.get("news:publication_date") or None
        date = parse_date(fields.get("news:publication_date")) or parse_date(fields.get("lastmod"))
        entry = SitemapURL(loc=loc, canonical=canonical, lastmod=lastmod, date=date,
                           title=fields.get("news:title") or None)
        (sitemap.sitemaps if name == "sitemap" else sitemap.urls).append(entry)
    return sitemap


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise FeedError(f"not a sitemap: broken gzip data ({exc})") from None
    if len(out) > MAX_SITEMAP_BYTES:
        raise FeedError(f"sitemap larger than {MAX_SITEMAP_BYTES // (1024 * 1024)} MB uncompressed")
    return out
