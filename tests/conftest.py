"""Shared fixtures: the real model loaded once, a fresh index per test, no network.

Every test runs with connections outside the loopback range refused (tests/guard), in this
process and in the processes it starts, and with its data directory under `tmp_path`.
Helpers that are not fixtures live in tests/support.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Used here, and re-exported: test files import some from here too (`from tests.conftest import ROOT`).
from tests.support import (  # noqa: F401
    CHROMA_SCRIPT,
    GUARD,
    KEPT_ENV,
    MODEL_CACHE,
    OFFLINE_ENV,
    ROOT,
    SAMPLE_DIR,
    SAMPLE_FILE,
    child_process,
    free_port,
    running_server,
    server_store,
)

os.environ.update(OFFLINE_ENV)
os.environ["QA_EMBEDDING__CACHE_DIR"] = str(MODEL_CACHE)
sys.path.insert(0, str(GUARD))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)
import netguard  # noqa: E402

netguard.install()

from index.embedding.embed import Embedder  # noqa: E402
from qa.api import Assistant  # noqa: E402
from qa.config import Settings, StoreSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory, also for the CLI and child processes."""
    data = tmp_path / "qa-data"
    monkeypatch.setenv("QA_DATA__DIR", str(data))
    for name in [n for n in os.environ if n.startswith("QA_") and n not in KEPT_ENV]:
        monkeypatch.delenv(name)
    return data


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled model, loaded once for the whole session."""
    return Embedder(cache_dir=MODEL_CACHE)


@pytest.fixture
def settings(isolated_data: Path, store_settings: StoreSettings) -> Settings:
    return Settings().model_copy(update={"data": Settings().data.model_copy(update={"dir": isolated_data}),
                                         "store": store_settings})


@pytest.fixture
def assistant(settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(settings, embedder=embedder)


@pytest.fixture
def sample_assistant(assistant: Assistant) -> Assistant:
    """An assistant whose index holds the bundled sample article."""
    report = assistant.ingest([SAMPLE_DIR])
    assert report.count("indexed") == 1
    return assistant


# -- a real Chroma server (store.mode: server) -------------------------------------------
@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`chroma run` on a free loopback port for the whole session; yields (host, port)."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    args = [CHROMA_SCRIPT, "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with child_process(args, ready_url=f"http://127.0.0.1:{port}/api/v2/heartbeat",
                       log_path=folder / "chroma.log", cwd=folder):
        yield "127.0.0.1", port


@pytest.fixture
def store_mode(request: pytest.FixtureRequest) -> str:
    """"embedded", unless the test is marked `both_store_modes`."""
    return getattr(request, "param", "embedded")


@pytest.fixture(autouse=True)
def store_settings(isolated_data: Path, store_mode: str, request: pytest.FixtureRequest,
                   monkeypatch: pytest.MonkeyPatch) -> StoreSettings:
    """The test's store settings, also in the environment for the CLI and child processes.

    In server mode the session's Chroma server is shared, so each test gets a collection of
    its own; its data dir (keyword index, sentence vectors, records) stays under tmp_path.
    """
    if store_mode == "embedded":
        return StoreSettings()
    store = server_store(*request.getfixturevalue("chroma_server"))
    for key in ("mode", "host", "port", "collection"):
        monkeypatch.setenv(f"QA_STORE__{key.upper()}", str(getattr(store, key)))
    return store


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless chromium for one module's browser tests (`tests.support.CHROMIUM`). Per module,
    not per session: playwright's sync API keeps an event loop running in this thread while it
    is open, and later tests that run their own loop (`asyncio.run`) would fail."""
    from playwright.sync_api import sync_playwright

    from tests.support import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# A module may set its own `VIEWPORT = {"width": ..., "height": ...}`.
DEFAULT_VIEWPORT = {"width": 1100, "height": 900}


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (its own context: no cookies or storage from another test), desktop-sized."""
    context = browser.new_context(viewport=getattr(request.module, "VIEWPORT", DEFAULT_VIEWPORT))
    page = context.new_page()
    yield page
    context.close()
