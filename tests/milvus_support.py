"""A real `milvus-lite server` for tests of `store.backend: milvus`; nothing to start by hand.

Import the fixtures into a test module (`from tests.milvus_support import milvus_server,
milvus_settings`) and mark its tests `@pytest.mark.milvus`:

- `milvus_server`: one engine per test module on a free loopback port, its files under the
  module's tmp dir; a `index.storage.milvus.LiteServer` (`.uri`, `.stop()`, `.start()` for
  restart tests; stopped by its own pid at the end).
- `milvus_settings`: the test's settings in Milvus mode on that engine, with a collection of the
  test's own, also set in the environment (`QA_STORE__BACKEND`, `QA_STORE__URI`,
  `QA_STORE__COLLECTION`) for the CLI and child processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from index.storage.milvus import LiteServer
from qa.config import Settings


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteServer]:
    """A `milvus-lite server` shared by the module's tests (each uses its own collection)."""
    root = tmp_path_factory.mktemp("milvus")
    server = LiteServer(root / "engine", log_path=root / "engine.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def milvus_settings(settings: Settings, milvus_server: LiteServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """`settings` in Milvus mode on the module's engine, with a fresh collection."""
    store = settings.store.model_copy(update={"backend": "milvus", "uri": milvus_server.uri,
                                              "collection": f"test_{uuid.uuid4().hex}"})
    for key in ("backend", "uri", "collection"):
        monkeypatch.setenv(f"QA_STORE__{key.upper()}", str(getattr(store, key)))
    if not milvus_server.process or milvus_server.process.poll() is not None:
        milvus_server.start()  # an earlier test stopped it
    return settings.model_copy(update={"store": store})
