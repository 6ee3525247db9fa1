"""Sitemaps as a source of article URLs: `sitemap.xml`, sitemap indexes, Google news sitemaps.

    >>> reader = SitemapReader(max_urls=500)
    >>> page = fetcher.fetch(url, consume=reader.feed)       # parsed while it downloads
    >>> sitemap = reader.close(page.final_url)
    >>> sitemap.kind, [(u.loc, u.lastmod) for u in sitemap.urls], sitemap.truncated
    >>> parse_sitemap(data, "https://example.org/sitemap.xml")   # bytes already in memory

Each URL's `<lastmod>` (or, in a news sitemap, `<news:publication_date>`) is its fingerprint:
`index.loading.web.refresh` fetches a URL again only when it changed. Gzipped sitemaps (`.xml.gz`)
are read too, decompressed a chunk at a time up to the size limit (`index.loading.web.decoding`).

A sitemap may be 50 MB and list 50,000 URLs, of which a refresh reads a few hundred
(`web.max_entries`), so it is never held whole: `SitemapReader` parses it as a stream, fed as it
downloads (expat, the parser under ElementTree, with handlers that keep only the fields of the
`<url>` being read: no tree), and says "enough" as soon as the caps (`max_urls`,
`max_sitemaps`) are reached, so that the rest is not even downloaded. The caps count every entry
read, a refused one included. Also limited: the uncompressed size (`max_bytes`), each field's
text (`MAX_FIELD_CHARS`) and each tag, attribute or comment (`MAX_TOKEN_BYTES`: expat holds an
unfinished one whole, and scans it again with every piece).

Any document that declares a DOCTYPE (the only place an ENTITY can be declared) is refused
the moment the parser meets it, before anything inside it is read: a sitemap needs neither,
and refusing them rules out entity expansion ("billion laughs") and external entities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from index.loading.dates import parse_date
from index.errors import BlockedURLError, FeedError
from index.loading.web.decoding import BodyDecoder, BodyTooLarge, BrokenEncoding
from index.loading.web.urls import canonicalize

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_FIELD_CHARS = 4096  # longer than any URL or date worth reading; a longer field is not kept
MAX_TOKEN_BYTES = 1024 * 1024  # one tag, comment or attribute: expat holds it whole (and rescans it)


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
    truncated: bool = False  # a cap was reached: more entries followed, unread


class _Enough(Exception):
    """A cap is reached: parsing stops mid-chunk."""


class SitemapReader:
    """Parses one sitemap or sitemap index (gzipped or not) from the pieces `feed` is given.

    Args:
        max_urls: `<url>` entries read at most (None: all).
        max_sitemaps: `<sitemap>` entries of an index read at most (None: all).
        max_bytes: Largest sitemap read, uncompressed.

    Raises (from `feed` and `close`):
        FeedError: Not a sitemap, too large, or declaring a DOCTYPE/ENTITY.
    """

    def __init__(self, *, max_urls: int | None = None, max_sitemaps: int | None = None,
                 max_bytes: int = MAX_SITEMAP_BYTES) -> None:
        self.max_bytes = max_bytes
        self.done = False  # a cap was reached: nothing more is read
        self.size = 0  # XML bytes given to the parser
        self._target = target = _Target(max_urls, max_sitemaps)
        self._parser = parser = expat.ParserCreate()  # no tree: the target keeps what it needs
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = target.start, target.end
        parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = target.data, target.doctype
        self._head = b""  # the first byte, until it is known whether the document is gzipped
        self._known = False
        self._gzip: BodyDecoder | None = None

    # -- input ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bool:
        """Parse the next piece of the (possibly gzipped) document; True once the caps are reached
        (stop downloading)."""
        if self.done:
            return True
        if not self._known:  # gzip or XML: the first two bytes say
            self._head += data
            if len(self._head) < 2:
                return False
            data, self._head, self._known = self._head, b"", True
            if data[:2] == b"\x1f\x8b":
                self._gzip = BodyDecoder("gzip", self.max_bytes)
        try:
            for piece in self._gzip.feed(data) if self._gzip else [data]:
                self._parse(piece)
                if self.done:
                    break
        except BodyTooLarge:
            raise FeedError(self._too_large()) from None
        except BrokenEncoding as exc:
            raise FeedError(f"not a sitemap: {exc}") from None
        return self.done

    def _parse(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise FeedError(self._too_large())
        try:
            self._parser.Parse(piece, False)
        except _Enough:
            self.done = True
            return
        except expat.ExpatError as exc:
            raise FeedError(f"not a sitemap: invalid XML ({exc})") from None
        # CurrentByteIndex: where parsing stands, the start of a token still incomplete. A huge
        # tag, attribute or comment would be buffered whole, and scanned again with every piece.
        if self.size - self._parser.CurrentByteIndex > MAX_TOKEN_BYTES:
            raise FeedError(f"not a sitemap: a tag, attribute or comment longer than "
                            f"{MAX_TOKEN_BYTES // (1024 * 1024)} MB")

    def close(self, base_url: str | None = None) -> Sitemap:
        """The sitemap read; relative `<loc>`s are resolved against `base_url` (where it was served)."""
        if self._head:
            self._parse(self._head)
        if not self.done:
            try:
                self._parser.Parse(b"", True)
            except expat.ExpatError as exc:
                raise FeedError(f"not a sitemap: invalid XML ({exc})") from None
        sitemap = Sitemap("index" if self._target.kind == "sitemapindex" else "urlset", truncated=self.done)
        for fields, into in ((self._target.urls, sitemap.urls), (self._target.sitemaps, sitemap.sitemaps)):
            for entry in fields:
                loc = entry.get("loc", "")
                if entry.get("too_long"):
                    sitemap.warnings.append(f"skipped <loc> {loc[:80]!r}: a field longer than {MAX_FIELD_CHARS} "
                                            f"characters")
                    continue
                try:
                    canonical = canonicalize(loc, base=base_url)
                except BlockedURLError as exc:
                    sitemap.warnings.append(f"skipped <loc> {loc[:80]!r}: {exc}")
                    continue
                lastmod = entry.get("lastmod") or entry.get("news:publication_date") or None
                date = parse_date(entry.get("news:publication_date")) or parse_date(entry.get("lastmod"))
                into.append(SitemapURL(loc=loc, canonical=canonical, lastmod=lastmod, date=date,
                                       title=entry.get("news:title") or None))
        return sitemap

    def _too_large(self) -> str:
        return f"sitemap larger than {self.max_bytes / (1024 * 1024):g} MB uncompressed"


class _Target:
    """The expat handlers: keep the `<url>`/`<sitemap>` entries' fields, no tree."""

    def __init__(self, max_urls: int | None, max_sitemaps: int | None) -> None:
        self.max_urls, self.max_sitemaps = max_urls, max_sitemaps
        self.kind: str | None = None
        self.urls: list[dict[str, str]] = []
        self.sitemaps: list[dict[str, str]] = []
        self._depth = 0
        self._entry: dict[str, str] | None = None  # the <url> or <sitemap> being read
        self._field: str | None = None  # its field being read: "loc", "lastmod", "news:title"...
        self._text: list[str] = []
        self._chars = 0
        self._news = False  # inside <news:news>

    def doctype(self, *declaration: object) -> None:
        raise FeedError("sitemap refused: it declares a DOCTYPE or ENTITY, which sitemaps never need")

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self._depth += 1
        name = _local(tag)
        if self._depth == 1:
            if name not in ("urlset", "sitemapindex"):
                raise FeedError(f"not a sitemap: the document is <{name}>, not <urlset> or <sitemapindex>")
            self.kind = name
        elif self._depth == 2 and name in ("url", "sitemap"):
            into, cap = (self.urls, self.max_urls) if name == "url" else (self.sitemaps, self.max_sitemaps)
            if cap is not None and len(into) >= cap:
                raise _Enough  # one entry more than the cap: there is more, unread
            self._entry = {}
            into.append(self._entry)
        elif self._entry is not None and self._depth >= 3:
            if self._depth == 3:
                self._news = name == "news"
            self._field = name if self._depth == 3 else (f"news:{name}" if self._news else None)
            self._text, self._chars = [], 0

    def data(self, text: str) -> None:
        if self._field is None or self._entry is None:
            return
        if self._chars + len(text) > MAX_FIELD_CHARS:
            self._entry["too_long"] = "1"
            text = text[:max(MAX_FIELD_CHARS - self._chars, 0)]
        self._chars += len(text)
        self._text.append(text)

    def end(self, tag: str) -> None:
        if self._entry is not None:
            if self._depth == 2:
                self._entry = None
            elif self._field is not None:
                self._entry[self._field] = "".join(self._text).strip()
                self._field = None
        self._depth -= 1


def parse_sitemap(data: bytes, base_url: str | None = None) -> Sitemap:
    """Parse a sitemap or sitemap index (gzipped or not) held in memory, every entry of it.

    Raises:
        FeedError: Not a sitemap, too large, or declaring a DOCTYPE/ENTITY.
    """
    reader = SitemapReader()
    reader.feed(data)
    return reader.close(base_url)


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]  # no namespace processing: `news:title` -> `title`
