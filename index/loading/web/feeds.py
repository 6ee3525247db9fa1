"""RSS 2.0 and Atom feeds -> `FeedEntry`s (feedparser).

feedparser reads RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, tolerates the malformed feeds found in the
wild, sanitizes entry HTML and never resolves external entities. It is only ever given bytes:
fetching goes through `index.loading.web.fetch` (feedparser's own URL fetching would bypass its safety
rules).

Each entry carries what decides whether it changed since the last refresh: its `fingerprint`
(a hash of its guid, dates, title and content), compared by `index.loading.web.refresh` with the one
stored in `index.loading.web.state`, so that an unchanged entry is neither fetched nor extracted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
from bs4 import BeautifulSoup

from index.loading.dates import parse_date
from index.errors import BlockedURLError, FeedError
from index.loading.text import normalize_text
from index.loading.web.urls import canonicalize

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td", "div")


@dataclass(frozen=True)
class FeedEntry:
    """One feed item: where its article lives and what the feed itself says about it."""

    key: str  # guid, else the link: what identifies the entry from one refresh to the next
    link: str | None  # canonical absolute URL of the article page
    raw_link: str | None  # the link as the feed gives it (fetched as is)
    guid: str | None
    title: str
    date: str | None  # YYYY-MM-DD: published, else updated
    updated: str | None  # the entry's updated timestamp as given, if any
    author: str | None
    content: str  # the entry's own text (content, else summary), HTML removed
    fingerprint: str
    problem: str | None = None  # why the entry cannot be indexed (no link and no content, bad link)


@dataclass
class Feed:
    title: str
    link: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_feed_file(path: str | Path) -> bytes:
    """A feed saved as a local file."""
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise FeedError(f"cannot read feed file {path}: {exc.strerror or exc}") from exc


def parse_feed(data: bytes, base_url: str | None = None) -> Feed:
    """Parse an RSS or Atom document; relative links are resolved against `base_url`.

    Raises:
        FeedError: The document is not a feed.
    """
    headers = {"content-location": base_url} if base_url else None
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedError(f"not an RSS or Atom feed{f' ({problem})' if problem else ''}")
    meta = parsed.feed
    feed = Feed(title=normalize_text(meta.get("title", "")) or (base_url or "feed"), link=meta.get("link"))
    if parsed.get("bozo") and parsed.entries:
        feed.warnings.append(f"the feed is not well-formed ({parsed.get('bozo_exception')}); read what could be")
    for item in parsed.entries:
        feed.entries.append(_entry(item, base_url))
    return feed


def _entry(item: Any, base_url: str | None) -> FeedEntry:
    raw_link = (item.get("link") or "").strip() or None
    link = None
    problem = None
    if raw_link:
        try:
            link = canonicalize(raw_link, base=base_url)
        except BlockedURLError as exc:
            problem = f"bad link: {exc}"
    guid = (item.get("id") or "").strip() or None
    title = normalize_text(item.get("title", "") or "")
    published = _date(item, "published")
    updated = _date(item, "updated")
    content = _content(item)
    author = normalize_text(item.get("author", "") or "") or None
    key = guid or link or raw_link or f"title:{title}"
    if not link and not content and problem is None:
        problem = "the entry has no link and no content"
    print_ = "\x1f".join([guid or "", raw_link or "", item.get("published", "") or "", item.get("updated", "") or "",
                          title, content])
    fingerprint = hashlib.sha256(print_.encode("utf-8")).hexdigest()
    return FeedEntry(key=key, link=link, raw_link=raw_link, guid=guid, title=title, date=published or updated,
                     updated=item.get("updated") or None, author=author, content=content,
                     fingerprint=fingerprint, problem=problem)


def _date(item: Any, name: str) -> str | None:
    parsed = item.get(f"{name}_parsed")
    if parsed:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc).date().isoformat()
    return parse_date(item.get(name))


def _content(item: Any) -> str:
    """The entry's own text as plain text: its content (the longest block), else its summary."""
    blocks = [html_to_text(c.get("value", "")) for c in item.get("content", []) or [] if c.get("value", "").strip()]
    if any(blocks):
        return max(blocks, key=len)
    return html_to_text(item.get("summary", "") or "")


def html_to_text(html: str) -> str:
    """Entry HTML -> paragraphs of plain text."""
    if "<" not in html:
        return normalize_text(html)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "iframe", "form", "noscript"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return normalize_text(soup.get_text())
