"""A safe, polite HTTP fetcher for pages, feeds and sitemaps (httpx).

    >>> with Fetcher(FetchPolicy(user_agent="news-qa/0.1")) as fetcher:
    ...     page = fetcher.fetch("https://example.org/news/1", etag=previous_etag)
    ...     page.not_modified, page.final_url, len(page.content)
    >>> fetcher.fetch(sitemap_url, consume=reader.feed)   # the body piece by piece, never whole

Safety:
- Only http and https, and no URL with a control character in it (a line break in a URL is an
  attempt at header injection, never a link). Redirects are followed by hand, at most
  `max_redirects` times, and every hop is checked again (scheme, address, robots.txt).
- Addresses: a host name is resolved and every address it resolves to is checked *when the
  connection is made* (a custom network backend under httpx), so a name that resolves to a
  public address when checked and a private one when connected (DNS rebinding) is refused too.
  Private, loopback, link-local, shared (CGNAT), multicast and reserved addresses are refused
  unless `allow_private` is set or the host or its address is in `allow_hosts` (names,
  addresses or CIDR networks, each optionally with a port: `10.0.0.7:8080`, `[fd00::7]:443`
  allow that port only). Environment proxies are ignored (`trust_env=False`): the address
  checked is the address connected to.
- robots.txt (RFC 9309) is fetched through the same fetcher, cached per host for an hour, and
  respected unless `respect_robots` is off: 4xx means no rules, 5xx or an unreachable file
  means everything is disallowed for now.

Limits, against slow and hostile servers as much as large pages:
- One deadline per fetch (`deadline_s`) covers everything it does: connecting, the response
  headers, the body, every redirect hop and the robots.txt request made for it. It is enforced
  on the connection itself (every connect, read and write of the network stream, pooled
  keep-alive connections included, waits at most the time left), so a server that sends its
  headers a byte at a time is given up as surely as one that trickles its body. Time spent
  waiting for a free per-host slot does not count. Each connect and read also has `timeout_s`.
- Bodies are read raw and decoded here, as they arrive (`index.loading.web.decoding`): gzip and deflate
  only (the only ones asked for), every layer bounded; another Content-Encoding (br, zstd) is
  refused undecoded. Raw and decoded bytes both count against the size limit (`max_bytes`),
  so neither a long download nor a compression bomb gets past it.
- `consume`: the decoded body is handed over piece by piece instead of being kept (sitemaps are
  parsed as they download, and reading stops as soon as the consumer has enough).

Politeness: at most `per_host_concurrency` requests to one host at a time, a pool of `workers`
threads for many URLs (`map`), a configurable user agent, and conditional GET (ETag /
Last-Modified -> 304).

Every failure is a `FetchError` subclass whose message a user understands: "blocked: 10.0.0.5 is
a private address", "robots.txt of example.org disallows /private", "page larger than 5 MB",
"unsupported Content-Encoding 'br': ...", "timed out after 10 s", "timed out: fetching URL took
longer than 30 s", "HTTP 404 Not Found".
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from index.errors import (BlockedURLError, FetchError, FetchTimeoutError, HTTPStatusError, PageTooLargeError,
                          RobotsDisallowedError, TooManyRedirectsError)
from index.loading.web.decoding import ACCEPT_ENCODING, BodyDecoder, BodyTooLarge, BrokenEncoding, UnsupportedEncoding
from index.loading.web.addresses import AddressPolicy
from index.loading.web.transport import DEADLINE, Deadline, GuardedTransport, unclocked
from index.loading.web.urls import SCHEMES, canonicalize, host_key

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "news-qa/0.1 (article fetcher; respects robots.txt)"
ROBOTS_TTL_S = 3600.0
ROBOTS_MAX_BYTES = 512 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
_BAD_LOCATION = "Invalid URL in location header"  # httpx's words for a redirect it cannot parse

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher behaves; built from the `web:` section of the configuration.

    Args:
        user_agent: Sent with every request; its first word is the robots.txt agent name.
        timeout_s: Connect and read timeout (each).
        deadline_s: The whole fetch (connect, headers, body, redirects, its robots.txt), at most.
        max_bytes: Largest response body read (raw, and decoded).
        max_redirects: Redirects followed per URL.
        per_host_concurrency: Requests to one host at a time.
        workers: Threads fetching in parallel (`Fetcher.map`).
        respect_robots: Obey robots.txt.
        allow_private: Allow private, loopback and link-local addresses (intranet sites).
        allow_hosts: Host names, addresses or CIDR networks allowed even when private; `host:port`
            or `[v6]:port` allows that port only.
    """

    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 10.0
    deadline_s: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    per_host_concurrency: int = 2
    workers: int = 8
    respect_robots: bool = True
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()


@dataclass
class FetchResult:
    """One fetched URL: 200 with its body, or 304 (`not_modified`, empty body)."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# -- the fetcher -------------------------------------------------------------------------------
class Fetcher:
    """Fetches URLs under a `FetchPolicy`; thread-safe, one instance per process is enough.

    Args:
        policy: Limits, user agent, robots and address rules.
        transport: For tests only: an httpx transport to use instead of the guarded one.
    """

    def __init__(self, policy: FetchPolicy | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy or FetchPolicy()
        if self.policy.max_redirects < 0 or self.policy.per_host_concurrency < 1 or self.policy.workers < 1:
            raise ValueError(f"invalid fetch policy: {self.policy}")
        self._transport = transport
        self._clients: dict[bool, httpx.Client] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.requests = 0  # HTTP requests sent, robots.txt included (for reports and tests)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            pool, self._pool = self._pool, None
        for client in clients:
            client.close()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _client(self, allow_private: bool) -> httpx.Client:
        with self._lock:
            client = self._clients.get(allow_private)
            if client is None:
                # One client per address rule: a pooled connection opened under one rule is
                # never reused under the other.
                policy = AddressPolicy(allow_private, self.policy.allow_hosts)
                transport = self._transport or GuardedTransport(policy, max_connections=max(10, self.policy.workers))
                timeout = httpx.Timeout(self.policy.timeout_s)
                client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
                                      headers={"User-Agent": self.policy.user_agent,
                                               "Accept-Encoding": ACCEPT_ENCODING})
                self._clients[allow_private] = client
            return client

    # -- one URL ---------------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              allow_private: bool | None = None, accept: str | None = None, max_bytes: int | None = None,
              robots: bool = True, consume: Callable[[bytes], bool | None] | None = None) -> FetchResult:
        """GET `url`, following redirects; a conditional GET when `etag`/`last_modified` are given.

        Args:
            allow_private: Allow non-public addresses for this request (None: the policy's).
            accept: The Accept header (e.g. feed types).
            max_bytes: Size limit for this response (default: the policy's).
            robots: Check robots.txt (when the policy respects it).
            consume: Called with each piece of the decoded body as it arrives, instead of keeping
                it (the result's `content` is then empty); returning True stops the download.

        Raises:
            FetchError: A subclass saying what went wrong.
        """
        if DEADLINE.get() is not None:  # robots.txt, fetched for a page: within the page's deadline
            return self._fetch(url, etag, last_modified, allow_private, accept, max_bytes, robots, consume)
        token = DEADLINE.set(Deadline(url.strip(), self.policy.deadline_s))
        try:
            return self._fetch(url, etag, last_modified, allow_private, accept, max_bytes, robots, consume)
        finally:
            DEADLINE.reset(token)

    def _fetch(self, url: str, etag: str | None, last_modified: str | None, allow_private: bool | None,
               accept: str | None, max_bytes: int | None, robots: bool,
               consume: Callable[[bytes], bool | None] | None) -> FetchResult:
        allow = self.policy.allow_private if allow_private is None else allow_private
        limit = max_bytes or self.policy.max_bytes
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        current = url.strip()
        redirects: list[str] = []
        for _ in range(self.policy.max_redirects + 1):
            canonicalize(current)  # http(s) with a host and no control character, or BlockedURLError
            if robots and self.policy.respect_robots:
                self._check_robots(current, allow)
            with self._slot(current):
                result, location = self._get(self._client(allow), current, headers, limit, consume)
            if location is None:
                result.url, result.redirects = url, redirects
                return result
            redirects.append(current)
            current = urljoin(current, location)
            if urlsplit(current).scheme.lower() not in SCHEMES:
                raise BlockedURLError(f"{redirects[-1]} redirects to {current!r}: only http and https are followed")
        raise TooManyRedirectsError(f"more than {self.policy.max_redirects} redirects (from {url} to {current})")

    def _get(self, client: httpx.Client, url: str, headers: dict[str, str], limit: int,
             consume: Callable[[bytes], bool | None] | None = None) -> tuple[FetchResult, str | None]:
        deadline = DEADLINE.get()
        with self._lock:
            self.requests += 1
        try:
            with client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS and response.headers.get("location"):
                    return FetchResult(url, url, status), response.headers["location"]
                result = FetchResult(url, url, status, content_type=response.headers.get("content-type", ""),
                                     etag=response.headers.get("etag"),
                                     last_modified=response.headers.get("last-modified"))
                if status == 304:
                    return result, None
                if status >= 400 or status < 200 or status in _REDIRECTS:
                    reason = response.reason_phrase or ""
                    raise HTTPStatusError(f"HTTP {status}{' ' + reason if reason else ''}", status)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise PageTooLargeError(_too_large(limit))
                encoding = response.headers.get("content-encoding", "")
                try:
                    decoder = BodyDecoder(encoding, limit)
                except UnsupportedEncoding as exc:  # refused before a byte is decoded
                    raise FetchError(f"unsupported Content-Encoding '{exc}': the server compressed the response "
                                     f"in a way this fetcher does not decode (it asks for {ACCEPT_ENCODING} "
                                     f"only)") from None
                body = bytearray()
                raw = 0
                for data in response.iter_raw():  # raw: decoded here, bounded (httpx decodes a whole chunk)
                    raw += len(data)
                    if raw > limit:
                        raise PageTooLargeError(_too_large(limit))
                    for piece in decoder.feed(data):
                        if consume is None:
                            body += piece
                        elif consume(piece):
                            return result, None  # the consumer has enough: the rest is not downloaded
                    if deadline is not None and deadline.passed():  # e.g. a slow consumer
                        raise deadline.error()
                result.content = bytes(body)
                return result, None
        except BodyTooLarge:
            raise PageTooLargeError(f"{_too_large(limit)} once decompressed (Content-Encoding: {encoding})") from None
        except BrokenEncoding as exc:
            raise FetchError(f"could not decompress the response from {url}: {exc}") from None
        except httpx.TimeoutException:
            if deadline is not None and deadline.passed():
                raise deadline.error() from None
            raise FetchTimeoutError(f"timed out after {self.policy.timeout_s:g} s") from None
        except httpx.InvalidURL as exc:
            raise BlockedURLError(f"not a valid URL: {exc}") from None
        except httpx.RemoteProtocolError as exc:
            if str(exc).startswith(_BAD_LOCATION):  # httpx parses a redirect's Location itself
                raise BlockedURLError(f"{url} redirects to an invalid URL "
                                      f"({str(exc)[len(_BAD_LOCATION):].strip(': ').rstrip('.')})") from None
            raise FetchError(f"could not fetch {url}: {_transport_reason(exc)}") from None
        except httpx.TransportError as exc:
            raise FetchError(f"could not fetch {url}: {_transport_reason(exc)}") from None

    @contextlib.contextmanager
    def _slot(self, url: str) -> Iterator[None]:
        key = host_key(canonicalize(url))
        with self._lock:
            slot = self._slots.setdefault(key, threading.BoundedSemaphore(self.policy.per_host_concurrency))
        with unclocked(slot):
            yield

    # -- robots.txt --------------------------------------------------------------------------
    def _check_robots(self, url: str, allow_private: bool) -> None:
        canonical = canonicalize(url)
        key = host_key(canonical)
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with unclocked(lock):  # one robots.txt request per host, whatever the number of threads
            cached = self._robots.get(key)
            if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL_S:
                cached = (time.monotonic(), self._read_robots(key, allow_private))
                self._robots[key] = cached
        parser = cached[1]
        agent = self.policy.user_agent.split("/")[0].split()[0] if self.policy.user_agent.strip() else "*"
        if not parser.can_fetch(agent, url):
            parts = urlsplit(url)
            path = parts.path or "/"
            if getattr(parser, "unreachable", None):
                raise RobotsDisallowedError(f"robots.txt of {parts.hostname} could not be read "
                                            f"({parser.unreachable}): the site is not fetched until it can")
            raise RobotsDisallowedError(f"robots.txt of {parts.hostname} disallows {path}")

    def _read_robots(self, key: str, allow_private: bool) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(key + "/robots.txt")
        try:
            result = self.fetch(key + "/robots.txt", allow_private=allow_private, robots=False,
                                max_bytes=ROBOTS_MAX_BYTES)
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500:  # RFC 9309: no robots.txt, no rules
                parser.parse([])
                return parser
            parser.disallow_all = True
            parser.unreachable = str(exc)  # type: ignore[attr-defined]
            return parser
        except BlockedURLError:
            raise
        except FetchTimeoutError as exc:
            deadline = DEADLINE.get()
            if deadline is not None and deadline.passed():
                raise  # the page's own time ran out: nothing was learnt about robots.txt, nothing is cached
            parser.disallow_all = True
            parser.unreachable = str(exc)  # type: ignore[attr-defined]
            return parser
        except FetchError as exc:
            parser.disallow_all = True
            parser.unreachable = str(exc)  # type: ignore[attr-defined]
            return parser
        parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
        return parser

    # -- many URLs ---------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | Exception]]:
        """Run `fn` on every item in the thread pool; yield (item, result or exception) as each
        finishes. One failing item never stops the others."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.policy.workers, thread_name_prefix="fetch")
            pool = self._pool
        futures: dict[Future, T] = {pool.submit(fn, item): item for item in items}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # noqa: BLE001 - reported per item by the caller
                yield futures[future], exc


def _too_large(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"page larger than {mb:g} MB" if mb >= 1 else f"page larger than {limit // 1024} KB"


def _transport_reason(exc: httpx.TransportError) -> str:
    text = str(exc) or exc.__class__.__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "resolve" in text or "Name or service not known" in text:
        return text
    return text[:200]
