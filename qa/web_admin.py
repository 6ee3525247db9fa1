"""Web sources as the server's administrator manages them (the Articles tab and the JSON API).

    >>> admin = WebAdmin(assistant.web)
    >>> admin.add_source("https://example.org/rss.xml", "feed", interval_minutes=30)
    >>> admin.ingest_urls(["https://example.org/news/harbour"]).summary()
    >>> admin.refresh("https://example.org/rss.xml").to_dict()
    >>> admin.remove_source("https://example.org/rss.xml", delete_articles=True)

What differs from the CLI (`qa.web.WebSources` used directly): a URL comes from someone on
the network, so
- only http(s) URLs are taken (never a local feed file: a remote administrator must not make the
  server read its own files), checked before anything is fetched;
- the address rule is the configuration's (`allow_private=None`): private, loopback and
  link-local addresses are refused unless `web.allow_private` or `web.allow_hosts` allow them,
  checked here first (for a clear error) and again by the fetcher on every connection;
- unknown and configured sources are typed errors (`UnknownSourceError`, `ConfiguredSourceError`)
  that the faces turn into 404 and 409;
- a refresh or URL fetch waits at most `busy_wait_s` (default `BUSY_WAIT_S`) for another one
  (the background refresh, another administrator) to finish, then raises `qa.web.WebBusyError`
  naming what runs ("a refresh of URL is running ..."), which the faces show as is (503 in the API):
  a request never hangs for as long as a large feed takes.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from index.errors import BlockedURLError, QAError
from index.loading.web.addresses import AddressPolicy
from index.loading.web.refresh import source_key
from index.loading.web.urls import canonicalize

if TYPE_CHECKING:
    from index.loading.web.reports import RefreshReport, SourceReport, SourceState
    from qa.web import WebSources

MAX_URLS = 100  # article URLs per request
BUSY_WAIT_S = 30.0  # how long a request waits for a running refresh before it is told to come back


class RefusedAddressError(BlockedURLError):
    """The URL's host is (or resolves to) an address the configuration does not allow."""


class UnknownSourceError(QAError):
    """No feed or sitemap is known under this URL."""


class ConfiguredSourceError(QAError):
    """The source is listed in config.yaml (web.feeds); only the configuration removes it."""


class WebAdmin:
    """The administrator's operations on web sources, with the server's safety rules.

    Args:
        web: The assistant's `WebSources` (shared with the background refresh).
        busy_wait_s: Seconds a refresh or URL fetch waits for another one to end before
            `WebBusyError` (default: `BUSY_WAIT_S`, read when the admin is made).
    """

    def __init__(self, web: WebSources, *, busy_wait_s: float | None = None) -> None:
        if busy_wait_s is not None and busy_wait_s < 0:
            raise ValueError(f"busy_wait_s must be 0 or more, not {busy_wait_s}")
        self.web = web
        self.busy_wait_s = BUSY_WAIT_S if busy_wait_s is None else busy_wait_s

    # -- checks ------------------------------------------------------------------------------
    def check_url(self, url: str) -> str:
        """The canonical form of `url`, after checking it may be fetched from this server.

        Raises:
            BlockedURLError: Not an http(s) URL with a host.
            RefusedAddressError: Its host is, or resolves to, a refused address.
        """
        canonical = canonicalize(url)
        settings = self.web.settings
        if settings.allow_private:
            return canonical
        parts = urlsplit(canonical)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)  # web.allow_hosts may name a port
        try:
            addresses = {str(ipaddress.ip_address(host))}  # an address: nothing to resolve
        except ValueError:
            try:
                addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
            except (OSError, UnicodeError):
                return canonical  # an unknown name: the fetch reports it, per item
        policy = AddressPolicy(False, settings.allow_hosts)
        for address in sorted(addresses):
            try:
                policy.check(host, address, port)
            except BlockedURLError as exc:
                raise RefusedAddressError(f"{url}: {exc}") from None
        return canonical

    def source(self, url: str) -> SourceState:
        """The known source `url` (a feed or sitemap), with its state.

        Raises:
            UnknownSourceError: No such source.
        """
        key = source_key(url) if url.lower().startswith(("http://", "https://")) else url
        for known in self.web.sources():
            if known.url in (key, url):
                return known
        raise UnknownSourceError(f"unknown source {url!r}: GET /api/sources lists them")

    # -- operations --------------------------------------------------------------------------
    def ingest_urls(self, urls: list[str]) -> SourceReport:
        """Fetch and index article pages, after checking every URL (nothing is fetched when one
        is refused)."""
        urls = [u.strip() for u in urls if u and u.strip()]
        if not urls:
            raise QAError("give at least one article URL")
        if len(urls) > MAX_URLS:
            raise QAError(f"{len(urls)} URLs in one request; the limit is {MAX_URLS}")
        for url in urls:
            self.check_url(url)
        return self.web.ingest_urls(urls, allow_private=None, busy_wait_s=self.busy_wait_s)

    def add_source(self, url: str, kind: str = "feed", interval_minutes: int | None = None) -> tuple[SourceState, bool]:
        """Remember a feed or sitemap (or change a known one's interval); the next refresh
        reads it. Returns its state and whether it is new."""
        self.check_url(url)
        try:
            known = self.source(url)
        except UnknownSourceError:
            known = None
        if known is not None and known.configured:
            raise ConfiguredSourceError(f"{known.url} is listed in config.yaml (web.feeds); change it there")
        if known is not None and known.kind != kind:
            raise QAError(f"{known.url} is already a {known.kind}, not a {kind}; remove it first")
        state = self.web.add_source(url, kind, interval_minutes, allow_private=None)
        return state, known is None

    def refresh(self, url: str | None = None) -> RefreshReport:
        """Refresh one source now (or every source, due or not).

        Raises:
            UnknownSourceError: No such source.
            WebBusyError: Another refresh still ran after `busy_wait_s`.
        """
        if url is None:
            return self.web.refresh(busy_wait_s=self.busy_wait_s)
        return self.web.refresh(self.source(url).url, busy_wait_s=self.busy_wait_s)

    def remove_source(self, url: str, *, delete_articles: bool = False) -> list[str]:
        """Forget a source an administrator added; with `delete_articles`, also delete the
        articles only it brought (their ids are returned)."""
        known = self.source(url)
        if known.configured:
            raise ConfiguredSourceError(f"{known.url} is listed in config.yaml (web.feeds); remove it there")
        return self.web.remove_source(known.url, delete_articles=delete_articles)
