"""Chroma clients: an embedded, on-disk one, or one of a Chroma server; telemetry off in both
(no network at run time beyond the configured server)."""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings

from index.errors import StoreUnavailableError


def embedded_client(path: Path) -> chromadb.ClientAPI:
    """A local, persistent Chroma client with telemetry off (no network at run time)."""
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def server_client(host: str, port: int, *, ssl: bool = False,
                  headers: dict[str, str] | None = None) -> chromadb.ClientAPI:
    """A client of a Chroma server (`chroma run`, or Chroma's distributed deployment), telemetry off.

    Raises:
        StoreUnavailableError: The server does not answer (or refuses the headers).
    """
    url = f"{'https' if ssl else 'http'}://{host}:{port}"
    try:
        # HttpClient already calls the server (tenant check); the heartbeat makes that explicit.
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=dict(headers or {}),
                                     settings=ChromaSettings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as exc:  # ValueError, httpx errors, AuthorizationError...: all mean "not usable"
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {url} ({exc}); start one with `make chroma` "
            f"(chroma run --host {host} --port {port}), or set store.host / store.port, or "
            f"store.mode: embedded to use a local index"
        ) from exc
    return client
