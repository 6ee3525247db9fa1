"""A safe, polite HTTP fetcher for pages, feeds and sitemaps (httpx).

    >>> with Fetcher(FetchPolicy(user_agent="news-qa/0.1")) as fetcher:
    ...     page = fetcher.fetch("https://example.org/news/1", etag=previous_etag)
    ...     page.not_modified, page.final_url, len(page.content)

Safety:
- Only http and https. Redirects are followed by hand, at most `max_redirects` times, and every
  hop is checked again (scheme, address, robots.txt).
- Addresses: a host name is resolved and every address it resolves to is checked *when the
  connection is made* (a custom network backend under httpx), so a name that resolves to a
  public address when checked and a private one when connected (DNS rebinding) is refused too.
  Private, loopback, link-local, shared (CGNAT), multicast and reserved addresses are refused
  unless `allow_private` is set or the host or its address is in `allow_hosts` (names, or
  addresses and networks in CIDR form). Environment proxies are ignored (`trust_env=False`):
  the address checked is the address connected to.
- robots.txt (RFC 9309) is fetched through the same fetcher, cached per host for an hour, and
  respected unless `respect_robots` is off: 4xx means no rules, 5xx or an unreachable file
  means everything is disallowed for now.

Politeness and limits: at most `per_host_concurrency` requests to one host at a time, a pool of
`workers` threads for many URLs (`map`), connect/read timeouts of `timeout_s` and a whole
download of at most four times that, a size limit (read as a stream, stopped past it), a
configurable user agent, and conditional GET (ETag / Last-Modified -> 304).

Every failure is a `FetchError` subclass whose message a user understands: "blocked: 10.0.0.5 is
a private address", "robots.txt of example.org disallows /private", "page larger than 5 MB",
"timed out after 10 s", "HTTP 404 Not Found".
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from index.errors import (BlockedURLError, FetchError, FetchTimeoutError, HTTPStatusError, PageTooLargeError,
                          RobotsDisallowedError, TooManyRedirectsError)
from index.web.urls import SCHEMES, canonicalize, host_key

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "news-qa/0.1 (article fetcher; respects robots.txt)"
ROBOTS_TTL_S = 3600.0
ROBOTS_MAX_BYTES = 512 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher behaves; built from the `web:` section of the configuration.

    Args:
        user_agent: Sent with every request; its first word is the robots.txt agent name.
        timeout_s: Connect and read timeout (each); a whole download gets four times this.
        max_bytes: Largest response body read.
        max_redirects: Redirects followed per URL.
        per_host_concurrency: Requests to one host at a time.
        workers: Threads fetching in parallel (`Fetcher.map`).
        respect_robots: Obey robots.txt.
        allow_private: Allow private, loopback and link-local addresses (intranet sites).
        allow_hosts: Host names, addresses or CIDR networks allowed even when private.
    """

    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 10.0
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


# -- the address policy --------------------------------------------------------------------
class AddressPolicy:
    """Which addresses may be connected to: public ones, and private ones only when allowed."""

    def __init__(self, allow_private: bool = False, allow_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            entry = entry.strip().lower()
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))

    def check(self, host: str, address: str) -> None:
        """Raise `BlockedURLError` when `host`, resolved to `address`, may not be connected to."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        kind = _non_public(ip)
        if kind is None or self.allow_private:
            return
        if host.lower().rstrip(".") in self.hosts or any(ip in net for net in self.networks):
            return
        name = str(ip) if host.strip("[]") == str(ip) else f"{host} ({ip})"
        raise BlockedURLError(f"blocked: {name} is a {kind} address (allowed only with web.allow_private "
                              f"or when listed in web.allow_hosts)")


def _non_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address `ip` is, or None for a public one."""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved (non-public)"
    return None


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]  # an address: nothing to resolve
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve host name {host}: {exc}") from exc
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:  # every address, before any connection: no rebinding between them
            self.policy.check(host, address)
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the guarded network backend (and no proxy)."""

    def __init__(self, policy: AddressPolicy, max_connections: int) -> None:
        super().__init__(trust_env=False)
        self._pool.close()
        # httpx offers no parameter for the network backend; the pool it builds is replaced by
        # the same one with ours (httpcore's public ConnectionPool API).
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             max_connections=max_connections, max_keepalive_connections=20,
                                             keepalive_expiry=5.0, network_backend=_GuardedBackend(policy))


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
                transport = self._transport or _GuardedTransport(policy, max_connections=max(10, self.policy.workers))
                timeout = httpx.Timeout(self.policy.timeout_s)
                client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
                                      headers={"User-Agent": self.policy.user_agent,
                                               "Accept-Encoding": "gzip, deflate"})
                self._clients[allow_private] = client
            return client

    # -- one URL ---------------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              allow_private: bool | None = None, accept: str | None = None, max_bytes: int | None = None,
              robots: bool = True) -> FetchResult:
        """GET `url`, following redirects; a conditional GET when `etag`/`last_modified` are given.

        Args:
            allow_private: Allow non-public addresses for this request (None: the policy's).
            accept: The Accept header (e.g. feed types).
            max_bytes: Size limit for this response (default: the policy's).
            robots: Check robots.txt (when the policy respects it).

        Raises:
            FetchError: A subclass saying what went wrong.
        """
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
            canonicalize(current)  # http(s) with a host, or BlockedURLError
            if robots and self.policy.respect_robots:
                self._check_robots(current, allow)
            with self._slot(current):
                result, location = self._get(self._client(allow), current, headers, limit)
            if location is None:
                result.url, result.redirects = url, redirects
                return result
            redirects.append(current)
            current = urljoin(current, location)
            if urlsplit(current).scheme.lower() not in SCHEMES:
                raise BlockedURLError(f"{redirects[-1]} redirects to {current!r}: only http and https are followed")
        raise TooManyRedirectsError(f"more than {self.policy.max_redirects} redirects (from {url} to {current})")

    def _get(self, client: httpx.Client, url: str, headers: dict[str, str],
             limit: int) -> tuple[FetchResult, str | None]:
        timeout = self.policy.timeout_s
        deadline = time.monotonic() + 4 * timeout
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
                body = bytearray()
                for piece in response.iter_bytes():  # decoded: a gzip bomb stops at the limit too
                    body += piece
                    if len(body) > limit:
                        raise PageTooLargeError(_too_large(limit))
                    if time.monotonic() > deadline:
                        raise FetchTimeoutError(f"timed out: the download took longer than {4 * timeout:g} s")
                result.content = bytes(body)
                return result, None
        except httpx.TimeoutException:
            raise FetchTimeoutError(f"timed out after {timeout:g} s") from None
        except httpx.TransportError as exc:
            raise FetchError(f"could not fetch {url}: {_transport_reason(exc)}") from None

    @contextlib.contextmanager
    def _slot(self, url: str) -> Iterator[None]:
        key = host_key(canonicalize(url))
        with self._lock:
            slot = self._slots.setdefault(key, threading.BoundedSemaphore(self.policy.per_host_concurrency))
        with slot:
            yield

    # -- robots.txt --------------------------------------------------------------------------
    def _check_robots(self, url: str, allow_private: bool) -> None:
        canonical = canonicalize(url)
        key = host_key(canonical)
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # one robots.txt request per host, whatever the number of threads
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
