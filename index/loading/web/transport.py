"""The fetcher's connection to the network: an httpx transport over an httpcore pool of its own,
whose network backend resolves host names itself and connects only to addresses the
`AddressPolicy` allows (checked on the address actually connected to: no DNS rebinding), and
whose every connect, read, write and TLS handshake waits at most the time the current fetch has
left (`Deadline`, set per fetch by `index.loading.web.fetch.Fetcher`)."""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from index.errors import FetchTimeoutError
from index.loading.web.addresses import AddressPolicy

# -- the deadline -----------------------------------------------------------------------------
class Deadline:
    """When the fetch of `url` (set by `Fetcher.fetch`, shared by its redirects and robots.txt)
    must be over."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= 0.05  # a socket timeout set to the time left may fire a hair early

    def error(self) -> FetchTimeoutError:
        return FetchTimeoutError(f"timed out: fetching {self.url} took longer than {self.seconds:g} s")


# The current thread's fetch deadline: read by every network operation, so that a pooled
# connection opened during another fetch obeys the deadline of the fetch using it now.
DEADLINE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("fetch_deadline", default=None)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout`, shortened to the time the current fetch has left (`error` when none is left)."""
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline.left()
    if left <= 0:
        raise error("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


@contextlib.contextmanager
def unclocked(lock: threading.Semaphore | threading.Lock) -> Iterator[None]:
    """Hold `lock`; the time spent waiting for it (our own politeness) is not the site's: the
    current deadline moves by as much."""
    started = time.monotonic()
    with lock:
        deadline = DEADLINE.get()
        if deadline is not None:
            deadline.end += time.monotonic() - started
        yield


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake waits at most the time the
    current fetch has left."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, connects only to addresses the policy allows, and bounds every
    network operation by the current fetch's deadline."""

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
            self.policy.check(host, address, port)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(address, port, timeout=_bounded(timeout, httpcore.ConnectTimeout),
                                             local_address=local_address, socket_options=socket_options)
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


# httpcore's exceptions -> httpx's, the most specific first: the table httpx's own HTTPTransport
# maps with, so that callers catch httpx.TimeoutException, httpx.ConnectError and so on.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """Raise httpcore's exceptions as httpx's (anything else, e.g. `BlockedURLError`, as it is)."""
    try:
        yield
    except Exception as exc:
        for core, mapped in _HTTPX_ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    """A response body as httpcore streams it (raw, undecoded), with httpx's exceptions."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            for part in self._stream:
                yield part

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore connection pool of its own, on the guarded network
    backend (and no proxy): httpx.HTTPTransport's request and response mapping, with a pool that
    httpx offers no parameter to build."""

    def __init__(self, policy: AddressPolicy, max_connections: int) -> None:
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             max_connections=max_connections, max_keepalive_connections=20,
                                             keepalive_expiry=5.0, network_backend=_GuardedBackend(policy))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("the guarded transport sends synchronous requests only")
        url = request.url
        core = httpcore.Request(method=request.method,
                                url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                                 target=url.raw_path),
                                headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        with _httpx_errors():
            response = self._pool.handle_request(core)
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_ResponseStream(response.stream), extensions=response.extensions)

    def close(self) -> None:
        self._pool.close()
