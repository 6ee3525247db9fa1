"""A fetched HTML page -> an `Article`: its main text, title, date, author and canonical URL.

The main text comes from trafilatura (2.x), the most accurate of the maintained open-source
extractors in the published comparisons (ScrapingHub's article-extraction benchmark, Bevendorff
et al. 2023), actively maintained, pure Python over lxml: it drops navigation, ads, related
links, cookie banners, share bars and comments, and reads title, author and date from the
page's metadata (OpenGraph, schema.org JSON-LD, `<meta>`, `<time>`). Its quality on this
project's own set of pages is measured by `make bench` (`bench/pages/`).

The article id is the page's canonical URL: `<link rel=canonical>`, else `og:url`, else the URL
it was fetched from (after redirects), made absolute and canonicalized (`index.loading.web.urls`), so
the same article reached through several URLs or with tracking parameters is one article.

A page speaks only for its own site. The canonical URL it declares becomes the id only when it
is on the host (and port) that served the page, after redirects: otherwise any page could name
another site's article as its canonical URL and overwrite that article's stored text with its
own. A declared canonical URL on another host is returned as `Page.claimed`, and the article
keeps the page's own URL; `index.loading.web.refresh` then asks the claimed URL's own site (one more
fetch, under the same rules): when the page there confirms it is that canonical URL, the
article stored is the one that site serves, under its URL, so a legitimate syndicated copy is
deduplicated, and a hostile page can at most cause the true article to be fetched again from its
own site, never write its text under another site's URL. The unit of trust is the host, as for
cookies and robots.txt: pages of one host (e.g. users' blogs under one domain) can still name
each other as canonical.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import trafilatura

from index.loading.dates import parse_date
from index.errors import BlockedURLError, ExtractError
from index.models import Article
from index.loading.text import normalize_text
from index.loading.web.documents import document_suffix, extract_document
from index.loading.web.urls import canonicalize

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "")
MIN_WORDS = 8
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


@dataclass(frozen=True)
class Fallback:
    """What the caller already knows about the article (from a feed entry or a sitemap)."""

    title: str | None = None
    date: str | None = None  # YYYY-MM-DD; preferred over the page's (feeds state it explicitly)
    author: str | None = None


@dataclass(frozen=True)
class Page:
    """An extracted page: its article, and the canonical URL it declared on another host
    (`claimed`), which is not trusted as its id; see the module docstring."""

    article: Article
    claimed: str | None = None


def declared_canonical(tree: lxml.html.HtmlElement, page_url: str) -> str | None:
    """The canonical URL the page declares (`<link rel=canonical>`, else `og:url`), made absolute
    and canonicalized; None when it declares none that is an http(s) URL."""
    candidates = tree.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href')
    candidates += tree.xpath('//meta[@property="og:url" or @name="og:url"]/@content')
    for candidate in candidates:
        try:
            return canonicalize(str(candidate), base=page_url)
        except BlockedURLError:
            continue  # "javascript:..." or garbage: look further
    return None


def same_site(url: str, other: str) -> bool:
    """Whether two canonical URLs are on the same host and port (http and https alike)."""
    return urlsplit(url).netloc == urlsplit(other).netloc


def extract_main(tree: lxml.html.HtmlElement, url: str | None = None) -> Any | None:
    """trafilatura's extraction of a parsed page (`trafilatura.load_html`) with this project's
    settings, shared by web pages and local HTML files (`index.loading.load`): its `Document` (main text,
    one block per line, and title, date, author from the page's metadata), or None when it finds
    no text. The tree is not changed (trafilatura works on a copy)."""
    document = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                           include_tables=True, include_images=False, include_links=False,
                                           deduplicate=False, date_extraction_params=_DATE_PARAMS)
    if document is None or not (document.text or "").strip():
        return None
    return document


def article_text(extracted: str, *titles: str) -> str:
    """trafilatura's text as the article's text: one paragraph per line, without the headline
    (any of `titles`) repeated as the first line, normalized."""
    paragraphs = [line.strip() for line in extracted.splitlines() if line.strip()]
    if paragraphs and paragraphs[0] in titles:  # the headline repeated as the first line
        paragraphs = paragraphs[1:]
    return normalize_text("\n\n".join(paragraphs))


def extract_article(html: bytes | str, page_url: str, *, fallback: Fallback | None = None,
                    content_type: str = "") -> Article:
    """The article of one page (`extract_page(...).article`; a canonical URL declared on another
    host is ignored)."""
    return extract_page(html, page_url, fallback=fallback, content_type=content_type).article


def extract_page(html: bytes | str, page_url: str, *, fallback: Fallback | None = None,
                 content_type: str = "") -> Page:
    """Extract the article of one page, and the canonical URL it claims on another host.

    Args:
        html: The page as fetched (bytes: trafilatura detects the encoding).
        page_url: The URL it was fetched from, after redirects.
        fallback: Title, date and author known from a feed or sitemap.
        content_type: The response's Content-Type; a PDF or Word file is read as such
            (`index.loading.web.documents`), anything else that is not HTML is refused.

    Raises:
        ExtractError: Not an HTML page (nor a document), no article text on it, or a document
            that cannot be read (encrypted, scanned, corrupt: the reason says which).
    """
    fallback = fallback or Fallback()
    kind = content_type.split(";")[0].strip().lower()
    document = document_suffix(content_type, page_url, html)
    if document is not None:  # a PDF or Word file served at the URL
        return Page(extract_document(html, page_url, document, fallback=fallback))  # type: ignore[arg-type]
    if kind not in HTML_TYPES:
        raise ExtractError(f"not an HTML page ({kind})")
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError("not an HTML page (it could not be parsed)")
    own = canonicalize(page_url)
    declared = declared_canonical(tree, page_url)
    url = declared if declared is not None and same_site(declared, own) else own
    claimed = declared if declared is not None and declared != url else None
    document = extract_main(tree, url)
    if document is None:
        raise ExtractError("no article text found on the page")
    title = normalize_text(document.title or fallback.title or "") or url
    text = article_text(document.text, title)
    if len(text.split()) < MIN_WORDS:  # a menu or a cookie notice is not an article
        raise ExtractError(f"no article text found on the page ({len(text.split())} words)")
    date = fallback.date or parse_date(document.date)
    author = normalize_text(document.author or fallback.author or "") or None
    return Page(Article(id=url, title=title, text=text, source=url, date=date, url=url, author=author), claimed)
