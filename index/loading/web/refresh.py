"""Web sources into the index: one list of URLs, one feed, one sitemap, or a refresh of many.

    >>> web = WebIngestor(fetcher, WebState(data_dir), sink)
    >>> report = web.ingest_feed("https://example.org/rss.xml")
    >>> report.summary()   # {"indexed": 3, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}

What is fetched, extracted and embedded is only what changed:
- a feed or sitemap answered 304 Not Modified (its ETag / Last-Modified were sent) costs
  nothing more: no parsing, no page fetched, nothing extracted or embedded;
- a feed entry whose fingerprint (guid, dates, title, content) is the one stored, or a sitemap
  URL whose `<lastmod>` is, is neither fetched nor extracted;
- a page fetched again is a conditional GET too; an article whose text did not change is
  recognized by the record manager and not embedded again;
- a sitemap is parsed while it downloads and read only until `max_entries` URLs are (the rest
  is not downloaded); the children of a sitemap index are fetched one at a time, newest first
  by their `<lastmod>`, only until then. A child read to its end is remembered with its
  `<lastmod>`, and not read again until that changes.

Every article goes to the `sink` (`qa.web` passes `Ingestor.ingest_articles` under the writer
lock), in batches of about `batch_chars` characters: a refresh holds the index's writer lock
for one batch at a time, never while it fetches. Pages are fetched in the fetcher's thread
pool; one failing page, entry or source never stops the others, and each is reported
(`index.loading.web.reports`). An entry whose page cannot be fetched or read is indexed from the
feed's own text when it has some (with a warning), and its page is tried again next time.

A feed speaks only for its own host, as a page does for its canonical URL (`index.loading.web.extract`).
Its own text of an entry is stored under the entry's id (its link, else its guid) freely when
that id is a URL on the host (and port) the feed was served from. Under any other id (a link or
guid URL on another host, a bare guid, any id for a feed read from a local file) it is stored
only when no other source holds that article: never over an article whose text was fetched from
its own site, nor over another source's text (`WebState.held_elsewhere`). Otherwise the entry is
`skipped`, with the reason, and looked at again at the next refresh; the article it points to
stays as its own site (or the first source) gave it. A feed can therefore add an article no one
else has, but never change one that another site or source supplied. A page fetched through an
entry's link is the linked site's own, so it is stored as any page is.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.errors import BlockedURLError, ExtractError, FeedError, FetchError, StoreUnavailableError
from index.models import Article
from index.loading.text import normalize_text
from index.loading.web.extract import Fallback, Page, extract_page, same_site
from index.loading.web.feeds import FEED_ACCEPT, parse_feed, read_feed_file
from index.loading.web.fetch import Fetcher
from index.loading.web.reports import ItemReport, RefreshReport, SourceReport, SourceState
from index.loading.web.sitemaps import MAX_SITEMAP_BYTES, SitemapReader
from index.loading.web.state import DIRECT, EntryState, WebState, now_iso
from index.loading.web.urls import canonicalize

logger = logging.getLogger(__name__)

# Stores a batch of articles (under the writer lock); returns (added, deleted) chunks per id.
Sink = Callable[[list[Article]], dict[str, tuple[int, int]]]
OnItem = Callable[[ItemReport], None]

MAX_CHILD_SITEMAPS = 50


@dataclass
class _Job:
    """One page (or feed entry) to turn into an article."""

    source: str
    key: str
    url: str | None  # what to fetch (as given), None: the entry's own content only
    fallback: Fallback
    content: str = ""  # the feed's own text of the entry
    guid: str | None = None
    fingerprint: str = ""
    previous: EntryState | None = None
    fallback_id: str | None = None  # the article id when indexed from `content`
    entry: bool = False  # a feed entry (its page is fetched only when `fetch_articles`)
    feed_url: str | None = None  # where the feed was served from (None: a local file); see the docstring


@dataclass
class _Done:
    """A job's outcome: an article to store (with its item report and state), or a final item."""

    item: ItemReport
    article: Article | None = None
    entry: EntryState | None = None
    warnings: list[str] = field(default_factory=list)
    from_page: bool = False  # the article's text was extracted from a page its own site served


class WebIngestor:
    """Fetches, extracts and stores web articles, remembering what it saw.

    Args:
        fetcher: Fetches pages, feeds and sitemaps (safety rules, robots.txt, limits).
        state: What sources and entries looked like last time.
        sink: Stores a batch of articles; see `Sink`.
        fetch_articles: Fetch each feed entry's page; False: index the entry's own text.
        max_entries: Entries of a feed, or URLs of a sitemap (the first ones listed), read per
            source and refresh.
        batch_chars: Characters of article text stored per sink call (one writer-lock hold).
        max_sitemap_bytes: Largest sitemap read (uncompressed).
    """

    def __init__(self, fetcher: Fetcher, state: WebState, sink: Sink, *, fetch_articles: bool = True,
                 max_entries: int = 500, batch_chars: int = 200_000,
                 max_sitemap_bytes: int = MAX_SITEMAP_BYTES) -> None:
        self.fetcher = fetcher
        self.state = state
        self.sink = sink
        self.fetch_articles = fetch_articles
        self.max_entries = max_entries
        self.batch_chars = batch_chars
        self.max_sitemap_bytes = max_sitemap_bytes
        self.extract = extract_page  # replaceable (tests count the extractions)

    # -- single URLs ---------------------------------------------------------------------
    def ingest_urls(self, urls: Iterable[str], *, allow_private: bool | None = None,
                    on_item: OnItem | None = None) -> SourceReport:
        """Fetch and index article pages. A page fetched before is asked for with its ETag /
        Last-Modified, and is `unchanged` when the site answers 304."""
        report = SourceReport(DIRECT, "urls", started_at=now_iso())
        started, requests = time.perf_counter(), self.fetcher.requests
        jobs: list[_Job] = []
        keys: dict[str, str] = {}
        for url in urls:
            try:
                keys[url] = canonicalize(url)
            except BlockedURLError as exc:
                self._emit(report, ItemReport(url, "failed", str(exc)), on_item)
        previous = self.state.entries(DIRECT, keys.values())
        for url, key in keys.items():
            if any(job.key == key for job in jobs):
                self._emit(report, ItemReport(url, "skipped", f"the same page as {key}"), on_item)
                continue
            jobs.append(_Job(DIRECT, key, url, Fallback(), previous=previous.get(key)))
        self._process(jobs, report, allow_private, on_item)
        return self._finish(report, started, requests)

    # -- feeds ---------------------------------------------------------------------------
    def ingest_feed(self, source: str, *, allow_private: bool | None = None, on_item: OnItem | None = None,
                    interval_minutes: int | None = None, configured: bool | None = None) -> SourceReport:
        """Read an RSS or Atom feed (a URL, or a local file) and index its new and changed entries.

        The feed becomes a known source (`qa refresh` refreshes it again)."""
        source = source_key(source)
        known = self.state.upsert_source(source, "feed", interval_minutes=interval_minutes, configured=configured,
                                         allow_private=True if allow_private else None)
        allow = _allow(allow_private, known)
        report = SourceReport(source, "feed", started_at=now_iso())
        started, requests = time.perf_counter(), self.fetcher.requests
        etag = last_modified = None
        try:
            if _is_url(source):
                page = self.fetcher.fetch(source, etag=known.etag, last_modified=known.last_modified,
                                          allow_private=allow, accept=FEED_ACCEPT)
                if page.not_modified:
                    return self._not_modified(report, started, requests)
                data, base, etag, last_modified = page.content, page.final_url, page.etag, page.last_modified
            else:
                data, base = read_feed_file(source), None
            feed = parse_feed(data, base)
        except (FetchError, FeedError) as exc:
            return self._failed_source(report, exc, started, requests)
        report.title, report.warnings = feed.title, list(feed.warnings)
        feed_url = canonicalize(base) if base else None
        entries = feed.entries[: self.max_entries]
        if len(feed.entries) > self.max_entries:
            report.warnings.append(f"only the first {self.max_entries} of {len(feed.entries)} entries were read "
                                   f"(web.max_entries)")
        stored = self.state.entries(source, [e.key for e in entries])
        jobs: list[_Job] = []
        seen: set[str] = set()
        for entry in entries:
            shown = entry.raw_link or entry.guid or entry.title or entry.key
            if entry.key in seen:
                self._emit(report, ItemReport(shown, "skipped", "the feed lists this entry twice"), on_item)
                continue
            seen.add(entry.key)
            if entry.problem:
                self._emit(report, ItemReport(shown, "failed", entry.problem, title=entry.title), on_item)
                continue
            previous = stored.get(entry.key)
            if previous and previous.fingerprint and previous.fingerprint == entry.fingerprint:
                self._emit(report, ItemReport(shown, "unchanged", article_id=previous.article_id, title=entry.title,
                                              date=entry.date), on_item)
                continue
            fallback_id = entry.link or (entry.guid if entry.guid else None) or \
                f"{source}#{hashlib.sha256(entry.key.encode()).hexdigest()[:12]}"
            jobs.append(_Job(source, entry.key, entry.raw_link if entry.link else None,
                             Fallback(entry.title or None, entry.date, entry.author), content=entry.content,
                             guid=entry.guid, fingerprint=entry.fingerprint, previous=previous,
                             fallback_id=fallback_id, entry=True, feed_url=feed_url))
        self._process(jobs, report, allow, on_item)
        self.state.record_refresh(source, self._finish(report, started, requests), etag=etag,
                                  last_modified=last_modified)
        return report

    # -- sitemaps ------------------------------------------------------------------------
    def ingest_sitemap(self, source: str, *, allow_private: bool | None = None, on_item: OnItem | None = None,
                       interval_minutes: int | None = None, configured: bool | None = None) -> SourceReport:
        """Read a sitemap, sitemap index or news sitemap and index the pages whose `<lastmod>`
        changed (pages without one: a conditional GET)."""
        source = source_key(source)
        if not _is_url(source):
            raise FetchError(f"a sitemap is read from an http(s) URL, not {source!r}")
        known = self.state.upsert_source(source, "sitemap", interval_minutes=interval_minutes,
                                         configured=configured, allow_private=True if allow_private else None)
        allow = _allow(allow_private, known)
        report = SourceReport(source, "sitemap", started_at=now_iso())
        started, requests = time.perf_counter(), self.fetcher.requests
        try:
            reader = self._sitemap_reader(self.max_entries, max_sitemaps=MAX_CHILD_SITEMAPS)
            page = self.fetcher.fetch(source, etag=known.etag, last_modified=known.last_modified,
                                      allow_private=allow, max_bytes=self.max_sitemap_bytes, consume=reader.feed)
            if page.not_modified:
                return self._not_modified(report, started, requests)
            sitemap = reader.close(page.final_url)
        except (FetchError, FeedError) as exc:
            return self._failed_source(report, exc, started, requests)
        report.warnings = list(sitemap.warnings)
        urls = list(sitemap.urls)
        truncated = sitemap.truncated and sitemap.kind == "urlset"
        children: list[EntryState] = []
        if sitemap.kind == "index":
            if sitemap.truncated:
                report.warnings.append(f"only the first {MAX_CHILD_SITEMAPS} child sitemaps of the index are read")
            stored = self.state.entries(source, [f"sitemap:{c.canonical}" for c in sitemap.sitemaps])
            # One at a time, and only until the cap is met; the newest first (by <lastmod>), as
            # they are the likeliest to list new articles.
            for child in sorted(sitemap.sitemaps, key=lambda c: c.date or "", reverse=True):
                key = f"sitemap:{child.canonical}"
                previous = stored.get(key)
                if previous and child.lastmod and previous.fingerprint == child.lastmod:
                    continue  # that child sitemap did not change: nor did its pages
                if len(urls) >= self.max_entries:
                    truncated = True  # left for a later refresh: it is not recorded as read
                    break
                try:
                    inner = self._sitemap_reader(self.max_entries - len(urls), max_sitemaps=0)
                    got = self.fetcher.fetch(child.loc, allow_private=allow, max_bytes=self.max_sitemap_bytes,
                                             consume=inner.feed)
                    sitemap_read = inner.close(got.final_url)
                except (FetchError, FeedError) as exc:
                    report.warnings.append(f"child sitemap {child.loc}: {exc}")
                    continue
                if sitemap_read.kind == "index":
                    report.warnings.append(f"child sitemap {child.loc} is itself an index: not followed")
                    continue
                urls += sitemap_read.urls
                report.warnings += sitemap_read.warnings
                truncated = truncated or sitemap_read.truncated
                if not sitemap_read.truncated:  # read to its end: unchanged next time means nothing new
                    children.append(EntryState(source, key, child.canonical, fingerprint=child.lastmod or ""))
        if truncated:
            report.warnings.append(f"only the first {self.max_entries} URLs listed were read (web.max_entries); "
                                   f"the rest of the sitemap was not")
        urls.sort(key=lambda u: u.date or "", reverse=True)
        stored = self.state.entries(source, [u.canonical for u in urls])
        jobs: list[_Job] = []
        seen: set[str] = set()
        for url in urls:
            if url.canonical in seen:
                continue
            seen.add(url.canonical)
            previous = stored.get(url.canonical)
            if previous and url.fingerprint and previous.fingerprint == url.fingerprint:
                self._emit(report, ItemReport(url.loc, "unchanged", article_id=previous.article_id, date=url.date),
                           on_item)
                continue
            jobs.append(_Job(source, url.canonical, url.loc, Fallback(url.title, url.date),
                             fingerprint=url.fingerprint, previous=previous))
        self._process(jobs, report, allow, on_item)
        self.state.save_entries(children)
        self.state.record_refresh(source, self._finish(report, started, requests), etag=page.etag,
                                  last_modified=page.last_modified)
        return report

    # -- many sources --------------------------------------------------------------------
    def refresh(self, sources: Iterable[SourceState], *, on_item: OnItem | None = None,
                on_source: Callable[[SourceReport], None] | None = None) -> RefreshReport:
        """Refresh each source in turn; a failing one is reported and the next goes on."""
        result = RefreshReport()
        for source in sources:
            method = self.ingest_sitemap if source.kind == "sitemap" else self.ingest_feed
            try:
                report = method(source.url, on_item=on_item)
            except StoreUnavailableError:
                raise  # the engine is away: every source would fail the same way (HTTP: 503)
            except Exception as exc:  # noqa: BLE001 - a bug or a full disk on one source: report it, go on
                logger.exception("refreshing %s failed", source.url)
                report = SourceReport(source.url, source.kind, status="failed", error=f"{type(exc).__name__}: {exc}",
                                      started_at=now_iso())
            result.sources.append(report)
            if on_source:
                on_source(report)
        return result

    # -- the shared pipeline ---------------------------------------------------------------
    def _process(self, jobs: list[_Job], report: SourceReport, allow_private: bool | None,
                 on_item: OnItem | None) -> None:
        """Fetch and extract the jobs in the thread pool; store the articles in batches."""
        pending: list[_Done] = []
        stored_ids: dict[str, str] = {}  # article id -> the URL it came from in this run

        def flush() -> None:
            if pending:
                self._store(pending, report, on_item)
                pending.clear()

        for job, outcome in self.fetcher.map(lambda j: self._resolve(j, allow_private), jobs):
            if isinstance(outcome, Exception):  # a bug in extraction: that item fails, the rest goes on
                logger.error("%s: %s", job.url or job.key, outcome, exc_info=outcome)
                outcome = _Done(ItemReport(job.url or job.key, "failed", f"{type(outcome).__name__}: {outcome}"))
            article = outcome.article
            if article is None:
                self._emit(report, outcome.item, on_item)
                if outcome.entry is not None:
                    self.state.save_entries([outcome.entry])
                continue
            first = stored_ids.get(article.id)
            if first is not None:
                outcome.item.status, outcome.item.reason = "skipped", f"the same article as {first}"
                outcome.item.duplicate_of = article.id
                self._emit(report, outcome.item, on_item)
                if outcome.entry is not None:
                    self.state.save_entries([outcome.entry])
                continue
            stored_ids[article.id] = outcome.item.url
            pending.append(outcome)
            if sum(len(d.article.text) for d in pending if d.article) >= self.batch_chars or len(pending) >= 64:
                flush()
        flush()

    def _resolve(self, job: _Job, allow_private: bool | None) -> _Done:
        """One job, in a worker thread: fetch and extract, or fall back to the entry's text."""
        shown = job.url or job.key
        previous = job.previous
        problem = "fetching pages is off (web.fetch_articles: false)" if job.entry and not self.fetch_articles else None
        if job.url and (self.fetch_articles or not job.entry):
            try:
                page = self.fetcher.fetch(job.url, etag=previous.etag if previous else None,
                                          last_modified=previous.last_modified if previous else None,
                                          allow_private=allow_private)
                if page.not_modified and previous is not None:
                    entry = replace(previous, fingerprint=job.fingerprint or previous.fingerprint,
                                    checked_at=now_iso())
                    return _Done(ItemReport(shown, "unchanged", "not modified (HTTP 304)",
                                            article_id=previous.article_id, date=job.fallback.date,
                                            duplicate_of=_duplicate_of(previous.url, previous.article_id)),
                                 entry=entry)
                if page.not_modified:
                    raise FetchError("HTTP 304 Not Modified without a stored copy")
                got = self.extract(page.content, page.final_url, fallback=job.fallback,
                                   content_type=page.content_type)
                article, warnings = got.article, []
                if got.claimed:
                    article, warning = self._confirm(got, job.fallback, allow_private)
                    warnings += [warning] if warning else []
                own = canonicalize(page.final_url)  # the page's own URL: the entry remembers both
                entry = EntryState(job.source, job.key, own, job.guid, job.fingerprint, article.id,
                                   page.etag, page.last_modified)
                item = ItemReport(shown, "indexed", article_id=article.id, title=article.title, date=article.date,
                                  warnings=warnings, duplicate_of=_duplicate_of(own, article.id))
                return _Done(item, article, entry, from_page=True)
            except (FetchError, ExtractError) as exc:
                problem = str(exc)
        if job.content.strip():
            # The feed's own text: when fetching is off, or the page failed (then tried again next time).
            article_id = job.fallback_id or job.key
            url = article_id if article_id.startswith(("http://", "https://")) else None
            held = None if url and job.feed_url and same_site(url, job.feed_url) else \
                self.state.held_elsewhere(article_id, job.source)
            if held:
                item = ItemReport(shown, "skipped", f"the feed's own text is not stored under {article_id}: {held}, "
                                  f"and a feed speaks only for its own host", article_id=article_id,
                                  title=job.fallback.title or "", date=job.fallback.date, duplicate_of=article_id)
                if problem and self.fetch_articles:
                    item.warnings.append(f"the page could not be used ({problem})")
                # Looked at again next time (its page, or whether the article is still held).
                return _Done(item, entry=EntryState(job.source, job.key, url, job.guid, "", article_id))
            article = Article(id=article_id, title=job.fallback.title or url or job.source, text=normalize_text(job.content),
                              source=url or job.source, date=job.fallback.date, url=url, author=job.fallback.author)
            item = ItemReport(shown, "indexed", article_id=article.id, title=article.title, date=article.date)
            if problem and self.fetch_articles:
                item.warnings.append(f"the page could not be used ({problem}); indexed the feed's own text")
            retry = problem is not None and self.fetch_articles
            entry = EntryState(job.source, job.key, url, job.guid, "" if retry else job.fingerprint, article.id)
            return _Done(item, article, entry)
        return _Done(ItemReport(shown, "failed", problem or "no link to fetch and no text in the entry",
                                title=job.fallback.title or ""))

    def _confirm(self, page: Page, fallback: Fallback, allow_private: bool | None) -> tuple[Article, str | None]:
        """A page that names a canonical URL on another host: the article at that URL, when the
        page its own site serves there confirms it (its id is that URL); else the page's own
        article, with a warning saying why. See `index.loading.web.extract` for why a page's word is
        not taken for another site's URL."""
        claimed = page.claimed
        assert claimed is not None
        try:
            got = self.fetcher.fetch(claimed, allow_private=allow_private)
            original = self.extract(got.content, got.final_url, fallback=fallback,
                                    content_type=got.content_type).article
        except (FetchError, ExtractError) as exc:
            reason = str(exc)
        else:
            if original.id == claimed:
                return original, None
            reason = f"the page there is {original.id}"
        return page.article, (f"the page names {claimed} as its canonical URL, which that site did not confirm "
                              f"({reason}); indexed under its own URL")

    def _store(self, done: list[_Done], report: SourceReport, on_item: OnItem | None) -> None:
        articles = [d.article for d in done if d.article is not None]
        try:
            counts = self.sink(articles)
        except StoreUnavailableError:
            raise  # not these items' fault: nothing is recorded as stored, the next refresh reads them again
        except Exception as exc:  # noqa: BLE001 - the writer lock, a full disk: these items fail, the rest goes on
            logger.warning("storing %d web articles failed: %s", len(articles), exc)
            for d in done:
                d.item.status, d.item.reason = "failed", f"could not store: {exc}"
                self._emit(report, d.item, on_item)
            return
        entries = []
        for d in done:
            assert d.article is not None
            added, deleted = counts.get(d.article.id, (0, 0))
            d.item.chunks_added, d.item.chunks_deleted = added, deleted
            d.item.status = "updated" if deleted else ("indexed" if added else "unchanged")
            self._emit(report, d.item, on_item)
            if d.entry is not None:
                entries.append(d.entry)
        self.state.save_entries(entries)
        self.state.record_articles((d.article.id, d.entry.source if d.entry else DIRECT, d.from_page)
                                   for d in done if d.article is not None)

    @staticmethod
    def _emit(report: SourceReport, item: ItemReport, on_item: OnItem | None) -> None:
        report.items.append(item)
        if on_item:
            on_item(item)

    def _finish(self, report: SourceReport, started: float, requests: int) -> SourceReport:
        report.seconds = time.perf_counter() - started
        report.requests = self.fetcher.requests - requests
        return report

    def _sitemap_reader(self, max_urls: int, *, max_sitemaps: int) -> SitemapReader:
        return SitemapReader(max_urls=max_urls, max_sitemaps=max_sitemaps, max_bytes=self.max_sitemap_bytes)

    def _not_modified(self, report: SourceReport, started: float, requests: int) -> SourceReport:
        """A source answered 304: nothing parsed, its validators kept for the next refresh."""
        report.status = "not_modified"
        self.state.record_refresh(report.source, self._finish(report, started, requests), keep_validators=True)
        return report

    def _failed_source(self, report: SourceReport, exc: Exception, started: float, requests: int) -> SourceReport:
        report.status, report.error = "failed", str(exc)
        self.state.record_refresh(report.source, self._finish(report, started, requests), keep_validators=True)
        return report


def due(sources: Iterable[SourceState], default_minutes: int, now: float | None = None) -> list[SourceState]:
    """The sources whose interval has passed since their last refresh (never refreshed: due)."""
    import datetime as dt

    moment = dt.datetime.fromtimestamp(now if now is not None else time.time(), dt.timezone.utc)
    result = []
    for source in sources:
        if not source.last_refresh:
            result.append(source)
            continue
        last = dt.datetime.fromisoformat(source.last_refresh)
        if moment - last >= dt.timedelta(minutes=source.interval_minutes or default_minutes):
            result.append(source)
    return result


def _duplicate_of(own: str | None, article_id: str | None) -> str | None:
    """The article a page was deduplicated against: its id, when that is not the page's own URL."""
    return article_id if own and article_id and own != article_id else None


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def source_key(source: str) -> str:
    """A source's key: its URL canonicalized, or a local feed file's absolute path."""
    if _is_url(source):
        return canonicalize(source)
    if "://" in source:
        canonicalize(source)  # raises: ftp://, file://... are refused with a clear message
    return str(Path(source).expanduser().resolve())


def _allow(requested: bool | None, known: SourceState) -> bool | None:
    """The address rule for a source: as requested, else what its owner allowed when adding it."""
    if requested is not None:
        return requested
    return True if known.allow_private else None
