"""The one door to the Milvus engine: every request of the Milvus store goes through `MilvusEngine`.

It owns the `pymilvus.MilvusClient` and turns "the engine cannot be reached" (connection refused,
a deadline passed, the server went away mid-call) into `StoreUnavailableError` naming the
engine's address, so the HTTP layer can answer 503 and the CLI one line. pymilvus reconnects by
itself on the next request once the engine is back, so the same store object recovers without a
process restart; other engine errors (a bad filter, a schema clash) are not unavailability and
pass through unchanged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import grpc
from pymilvus import MilvusClient
from pymilvus.exceptions import ConnectError, MilvusException, MilvusUnavailableException

from index.errors import StoreUnavailableError

logger = logging.getLogger(__name__)
# pymilvus logs every failed RPC with a traceback at ERROR; the store raises one clear error instead.
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)

T = TypeVar("T")

# pymilvus' status code for "Fail connecting to server" (pymilvus.client.types.Status.CONNECT_FAILED).
_CONNECT_FAILED = 2
_COLLECTION_NOT_LOADED = 101  # Milvus' ErrCollectionNotLoaded
_UNREACHABLE_GRPC = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
# gRPC waits 1 s and more (doubling) before redialling a lost engine; with these the first request
# after the engine is back succeeds within about 0.3 s instead of 1-2 s (measured on milvus-lite).
# pymilvus pings every 10 s; milvus-lite's gRPC server allows one ping per 5 minutes and answers
# more with GOAWAY "too_many_pings", dropping the channel under load: ping every 10 minutes instead
# (a dead engine is still noticed at once, by the request deadline).
RECONNECT = {"grpc.initial_reconnect_backoff_ms": 100, "grpc.min_reconnect_backoff_ms": 100,
             "grpc.max_reconnect_backoff_ms": 1000, "grpc.keepalive_time_ms": 600_000}


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the engine could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConnectError, MilvusUnavailableException, ConnectionError)):
            return True
        if isinstance(current, grpc.RpcError) and getattr(current, "code", lambda: None)() in _UNREACHABLE_GRPC:
            return True
        if isinstance(current, MilvusException) and (
                current.code == _CONNECT_FAILED or "server unavailable" in (current.message or "").lower()):
            return True
        current = current.__cause__ or current.__context__
    return False


def public_address(uri: str) -> str:
    """`uri` without user information (a token must never reach an error message)."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class MilvusEngine:
    """A Milvus client whose failures to reach the engine raise `StoreUnavailableError`.

    Args:
        uri: The engine's address, e.g. `http://127.0.0.1:19530` (milvus-lite's engine, `make milvus`;
            Milvus Standalone or Distributed).
        token: Credentials (`user:password` or an API key) from the environment; never logged.
        timeout_s: Longest wait for one request; a passed deadline counts as unreachable.
    """

    def __init__(self, uri: str, *, token: str | None = None, timeout_s: float = 10.0) -> None:
        if not uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:")):
            raise ValueError(f"store.uri {uri!r} is not an engine address such as http://127.0.0.1:19530")
        self.uri = uri
        self.address = public_address(uri)
        self.timeout_s = timeout_s
        self._token = token
        self._lock = threading.Lock()
        self._client: MilvusClient | None = None

    def _connected(self) -> MilvusClient:
        with self._lock:
            if self._client is None:
                # pymilvus 3 connects lazily and re-establishes a lost channel on the next call.
                self._client = MilvusClient(uri=self.uri, token=self._token or "", timeout=self.timeout_s,
                                            grpc_options=RECONNECT)
            return self._client

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        """`MilvusClient.<method>(*args, **kwargs)`; an unreachable engine raises `StoreUnavailableError`.

        A collection found released (milvus-lite forgets what was loaded when it restarts) is
        loaded and the request made again, once.
        """
        def request(client: MilvusClient) -> Any:  # noqa: ANN401
            try:
                return getattr(client, method)(*args, **kwargs)
            except MilvusException as exc:
                if not (args and isinstance(args[0], str) and _not_loaded(exc)):
                    raise
                logger.info("loading Milvus collection %s (found released)", args[0])
                client.load_collection(args[0])
                return getattr(client, method)(*args, **kwargs)

        return self.run(request)

    def run(self, request: Callable[[MilvusClient], T]) -> T:
        """`request(client)`, with unreachability turned into `StoreUnavailableError`."""
        try:
            return request(self._connected())
        except Exception as exc:
            if unreachable(exc):
                raise self.unavailable(exc) from exc
            raise

    def unavailable(self, exc: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"cannot reach the Milvus engine at {self.address} ({_reason(exc)}); start one with "
            f"`make milvus` (milvus-lite) or check store.uri, or set store.backend: chroma "
            f"to use the local index", address=self.address)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a dead channel may fail; nothing to keep
                pass


def _not_loaded(exc: MilvusException) -> bool:
    message = (exc.message or "").lower()
    return exc.code == _COLLECTION_NOT_LOADED or "not loaded" in message or "state 'released'" in message


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MilvusException):
        return exc.message or type(exc).__name__
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
