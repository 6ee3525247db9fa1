"""Web articles, feeds and sitemaps for an `Assistant`: the API the CLI and the server use.

    >>> from qa import Assistant
    >>> assistant = Assistant.from_config()
    >>> web = assistant.web                                   # created on first use
    >>> web.ingest_urls(["https://example.org/news/harbour"]).summary()
    >>> web.ingest_feed("https://example.org/rss.xml", interval_minutes=30)   # also remembered
    >>> web.ingest_sitemap("https://example.org/news-sitemap.xml")
    >>> [s.to_dict() for s in web.sources()]                  # configured + added, with their state
    >>> web.refresh(only_due=True).to_dict()                  # what a background loop calls

For the server's admin part (built on top of this):
- `ingest_urls`, `ingest_feed`, `ingest_sitemap`, `add_source`, `remove_source`, `refresh`
  take `allow_private`. Leave it None there: the configuration decides (`web.allow_private`,
  default false; `web.allow_hosts` for intranets). Only the machine's owner (the CLI's
  `--allow-private`) should pass True; a source added that way keeps the allowance for later
  refreshes, because its owner approved it.
- Every result is a dataclass with `to_dict()`: `SourceReport` (one source or URL list, with
  an `ItemReport` per URL/entry: indexed | updated | unchanged | skipped | failed + reason),
  `RefreshReport` (several sources), `SourceState` (last refresh, counts, errors, next due).
- `refresh(only_due=True)` is the background refresh: call it every minute or so from a
  thread; it refreshes what is due and returns at once otherwise. What is due is decided once
  the call holds the refresh (after any refresh it waited for), from the state store, so a
  source an administrator has just refreshed is not read again straight after. It holds the
  index's writer lock only while it stores one batch (questions never wait for it; another
  writer waits at most that long). One refresh or ingest at a time per `WebSources`: a second call waits.
- Errors at the boundary: `QAError` subclasses (`FetchError` and kin for fetching, in
  `index.errors`); per-item problems are in the reports, never raised.

The CLI's `qa ingest URL`, `--feed`, `--sitemap`, `qa refresh` and `qa sources` are thin
layers over this class.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import ContextManager, Protocol

from index.errors import ArticleNotFoundError, QAError
from index.ingest import Ingestor
from index.models import Article
from index.loading.web.fetch import Fetcher, FetchPolicy
from index.loading.web.refresh import WebIngestor, due, source_key
from index.loading.web.reports import ItemReport, RefreshReport, SourceReport, SourceState
from index.loading.web.state import WebState

from index.loading.chunk import SentenceChunker
from index.storage.store import ArticleStore
from qa.config import Settings, WebSettings


class Index(Protocol):
    """What web sources need of an assistant (`qa.api.Assistant`): its settings, its store and
    chunker, and its writer lock."""

    settings: Settings
    store: ArticleStore
    chunker: SentenceChunker

    def writing(self, wait_s: float = 0.0) -> ContextManager[None]: ...

OnItem = Callable[[ItemReport], None]


class WebBusyError(QAError):
    """Another refresh or ingest of the same `WebSources` still ran after `busy_wait_s`."""


def fetch_policy(settings: WebSettings) -> FetchPolicy:
    """The fetcher's policy from the `web:` section of the configuration."""
    return FetchPolicy(user_agent=settings.user_agent, timeout_s=settings.timeout_s,
                       deadline_s=settings.fetch_deadline_s, max_bytes=int(settings.max_page_mb * 1024 * 1024),
                       max_redirects=settings.max_redirects,
                       per_host_concurrency=settings.per_host_concurrency, workers=settings.workers,
                       respect_robots=settings.respect_robots, allow_private=settings.allow_private,
                       allow_hosts=tuple(settings.allow_hosts))


class WebSources:
    """Web pages, feeds and sitemaps into an assistant's index, kept fresh.

    Args:
        assistant: Whose index, configuration (`web:`) and data directory are used.
        fetcher: The HTTP fetcher (default: one built from `web:`).
        wait_s: Seconds each stored batch waits for the writer lock when another process
            (an ingest, an upload) holds it; past that the batch's items fail and are tried
            again at the next refresh.
    """

    def __init__(self, assistant: Index, *, fetcher: Fetcher | None = None, wait_s: float = 60.0) -> None:
        self.assistant = assistant
        self.settings = assistant.settings.web
        self.fetcher = fetcher or Fetcher(fetch_policy(self.settings))
        self.state = WebState(assistant.settings.data.dir)
        self.wait_s = wait_s
        chunking = assistant.settings.chunking
        batch_chars = Ingestor(assistant.store, assistant.chunker).batch_chunks * (chunking.size - chunking.overlap)
        self.ingestor = WebIngestor(self.fetcher, self.state, self._store, fetch_articles=self.settings.fetch_articles,
                                    max_entries=self.settings.max_entries, batch_chars=batch_chars,
                                    max_sitemap_bytes=int(self.settings.max_sitemap_mb * 1024 * 1024))
        self._busy = threading.Lock()  # one refresh or ingest at a time
        self._running = ""  # what holds `_busy` ("a refresh of URL"), for a caller that waits too long

    def close(self) -> None:
        self.fetcher.close()

    @contextlib.contextmanager
    def _exclusive(self, what: str, wait_s: float | None = None) -> Iterator[None]:
        """Hold `_busy` for `what`, waiting at most `wait_s` seconds for it (None: as long as it takes).

        Raises:
            WebBusyError: Another refresh or ingest still holds it after `wait_s`; the message names it.
        """
        if not self._busy.acquire(timeout=-1 if wait_s is None else max(wait_s, 0.0)):
            running = self._running or "another refresh"
            raise WebBusyError(f"{running} is running (waited {wait_s:g} s); try again in a moment")
        self._running = what
        try:
            yield
        finally:
            self._running = ""
            self._busy.release()

    def _store(self, articles: list[Article]) -> dict[str, tuple[int, int]]:
        """One batch into the index, under the writer lock (held for this batch only)."""
        counts: dict[str, tuple[int, int]] = {}
        with self.assistant.writing(self.wait_s):
            Ingestor(self.assistant.store, self.assistant.chunker).ingest_articles(articles, on_stored=counts.update)
        return counts

    # -- ingesting -----------------------------------------------------------------------
    def ingest_urls(self, urls: Iterable[str], *, allow_private: bool | None = None,
                    on_item: OnItem | None = None, busy_wait_s: float | None = None) -> SourceReport:
        """Fetch article pages and index each one's main text under its canonical URL
        (`busy_wait_s`: see `refresh`)."""
        urls = list(urls)
        what = f"a fetch of {urls[0]}" if len(urls) == 1 else f"a fetch of {len(urls)} article URLs"
        with self._exclusive(what, busy_wait_s):
            return self.ingestor.ingest_urls(urls, allow_private=allow_private, on_item=on_item)

    def ingest_feed(self, url_or_path: str, *, interval_minutes: int | None = None,
                    allow_private: bool | None = None, on_item: OnItem | None = None) -> SourceReport:
        """Read an RSS or Atom feed (URL or local file), index its new and changed entries, and
        remember it as a source (refreshed every `interval_minutes`, default `web.refresh_minutes`)."""
        with self._exclusive(f"a refresh of {url_or_path}"):
            return self.ingestor.ingest_feed(url_or_path, allow_private=allow_private, on_item=on_item,
                                             interval_minutes=interval_minutes)

    def ingest_sitemap(self, url: str, *, interval_minutes: int | None = None,
                       allow_private: bool | None = None, on_item: OnItem | None = None) -> SourceReport:
        """Read a sitemap (index, news sitemap) and index the pages whose `<lastmod>` changed;
        remember it as a source."""
        with self._exclusive(f"a refresh of {url}"):
            return self.ingestor.ingest_sitemap(url, allow_private=allow_private, on_item=on_item,
                                                interval_minutes=interval_minutes)

    # -- sources -------------------------------------------------------------------------
    def add_source(self, url: str, kind: str = "feed", interval_minutes: int | None = None, *,
                   allow_private: bool | None = None) -> SourceState:
        """Remember a feed or sitemap without fetching it (the next refresh reads it)."""
        if kind not in ("feed", "sitemap"):
            raise QAError(f"a source is a feed or a sitemap, not {kind!r}")
        if interval_minutes is not None and interval_minutes < 1:
            raise QAError(f"the refresh interval must be at least 1 minute, not {interval_minutes}")
        key = self._key(url)
        self.state.upsert_source(key, kind, interval_minutes=interval_minutes,
                                 allow_private=True if allow_private else None)
        return self._with_due(self.state.source(key))  # type: ignore[arg-type]

    def remove_source(self, url: str, *, delete_articles: bool = False) -> list[str]:
        """Forget a source (a configured one comes back while `web.feeds` lists it). With
        `delete_articles`, also remove from the index the articles only it brought; returns
        their ids."""
        key = self._key(url)
        if self.state.source(key) is None:
            raise QAError(f"unknown source {url!r}; `qa sources` lists them")
        ids = self.state.remove_source(key)
        if not delete_articles:
            return []
        removed = []
        with self.assistant.writing(self.wait_s):
            for article_id in ids:
                try:
                    self.assistant.store.delete_article(article_id, sync=False)
                    removed.append(article_id)
                except ArticleNotFoundError:
                    continue  # deleted by hand already (an engine out of reach is not: it propagates)
            if removed:
                self.assistant.store.sync_keywords()
        return removed

    def sources(self) -> list[SourceState]:
        """Every source, configured (`web.feeds`) and added, with its last refresh and next due time."""
        self._sync_configured()
        return [self._with_due(s) for s in self.state.sources()]

    def due(self, now: float | None = None) -> list[SourceState]:
        """The sources whose refresh interval has passed (at `now`, seconds since the epoch)."""
        return due(self.sources(), self.settings.refresh_minutes, now=now)

    def refresh(self, source: str | None = None, *, only_due: bool = False, now: float | None = None,
                on_item: OnItem | None = None, on_source: Callable[[SourceReport], None] | None = None,
                busy_wait_s: float | None = None) -> RefreshReport:
        """Refresh one source, or every configured and added one (`only_due`: only those due at
        `now`, default the current time; with `source`, that one only when it is still due).
        What is due is read from the state once this call holds the refresh: a source that a
        refresh it waited for has just refreshed is not due any more, and is not read again.
        While another refresh or ingest runs, wait for it: at most `busy_wait_s` seconds (None:
        as long as it takes).

        Raises:
            QAError: `source` is not a known source.
            WebBusyError: Another refresh or ingest still ran after `busy_wait_s`.
        """
        with self._exclusive("a refresh", busy_wait_s):
            if source is not None:
                self._sync_configured()
                known = self.state.source(self._key(source))
                if known is None:
                    raise QAError(f"unknown source {source!r}: add it with `qa ingest --feed` / `--sitemap` "
                                  f"or list it in web.feeds")
                chosen = [known]
                if only_due:
                    chosen = due(chosen, self.settings.refresh_minutes, now=now)
            else:
                chosen = self.due(now) if only_due else self.sources()
            self._running = f"a refresh of {chosen[0].url if len(chosen) == 1 else f'{len(chosen)} sources'}"
            return self.ingestor.refresh(chosen, on_item=on_item, on_source=on_source)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _key(url: str) -> str:
        return source_key(url)

    def _sync_configured(self) -> None:
        """Make the state hold exactly the configured sources as `configured` (a source dropped
        from `web.feeds` is forgotten, its articles kept)."""
        wanted = {}
        for feed in self.settings.feeds:
            wanted[self._key(feed.url)] = feed
        for key, feed in wanted.items():
            self.state.upsert_source(key, feed.kind, interval_minutes=feed.interval_minutes, configured=True)
        for known in self.state.sources():
            if known.configured and known.url not in wanted:
                self.state.remove_source(known.url)

    def _with_due(self, state: SourceState) -> SourceState:
        if not state.last_refresh:
            return replace(state, next_due=None)
        minutes = state.interval_minutes or self.settings.refresh_minutes
        next_due = dt.datetime.fromisoformat(state.last_refresh) + dt.timedelta(minutes=minutes)
        return replace(state, next_due=next_due.isoformat())
