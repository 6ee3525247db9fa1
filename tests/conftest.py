"""Shared fixtures: the real model loaded once, a fresh index per test, no network.

Every test runs with connections outside the loopback range refused (tests/guard), in this
process and in the processes it starts, and with its data directory under `tmp_path`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUARD = Path(__file__).resolve().parent / "guard"
SAMPLE_DIR = ROOT / "data" / "articles"
SAMPLE_FILE = SAMPLE_DIR / "2024-02-27-macron-ukraine-ground-troops.txt"

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false", "NO_PROXY": "*"}
os.environ.update(OFFLINE_ENV)
# One ONNX export per machine, shared by every test and child process (it is a pure cache,
# keyed by the model files' fingerprint).
MODEL_CACHE = ROOT / ".qa-data" / "models"
os.environ["QA_EMBEDDING__CACHE_DIR"] = str(MODEL_CACHE)
KEPT_ENV = {"QA_DATA__DIR", "QA_EMBEDDING__CACHE_DIR"}
sys.path.insert(0, str(GUARD))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)
import netguard  # noqa: E402

netguard.install()

from index.embed import Embedder  # noqa: E402
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


# -- a real `qa serve` in a child process -----------------------------------------------
import contextlib  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

QA_SCRIPT = str(Path(sys.executable).with_name("qa"))
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(data_dir: Path, *ingest: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `qa serve` on a free loopback port with its own data dir; yield its URL."""
    port = free_port()
    child_env = {**os.environ, "QA_DATA__DIR": str(data_dir), **(env or {})}
    args = [QA_SCRIPT, "serve", "--port", str(port)]
    for path in ingest:
        args += ["--ingest-if-empty", str(path)]
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    # An open gradio_client heartbeat stream holds uvicorn's graceful shutdown for ~15 s; the
    # test is over and the data dir is thrown away, so don't wait long for it.
    with child_process(args, ready_url=f"{url}/api/health", log_path=data_dir.parent / f"serve-{port}.log",
                       env=child_env, cwd=ROOT, start_s=120, stop_s=3):
        yield url


@contextlib.contextmanager
def child_process(args: list[str], *, ready_url: str, log_path: Path, env: dict[str, str] | None = None,
                  cwd: Path = ROOT, start_s: float = 60, stop_s: float = 10) -> Iterator[subprocess.Popen]:
    """Run `args` until `ready_url` answers 200 (failing with its log), then stop it, always."""
    import httpx

    with log_path.open("w") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            deadline = time.monotonic() + start_s
            while True:
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{Path(args[0]).name} did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=stop_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- a real Chroma server (store.mode: server) -------------------------------------------
import uuid  # noqa: E402

CHROMA_SCRIPT = str(Path(sys.executable).with_name("chroma"))
# Run a test in both store modes: embedded Chroma, and a Chroma server with its own collection.
both_store_modes = pytest.mark.parametrize("store_mode", ["embedded", "server"], indirect=True)


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
    host, port = request.getfixturevalue("chroma_server")
    store = StoreSettings(mode="server", host=host, port=port, collection=f"test-{uuid.uuid4().hex}")
    for key in ("mode", "host", "port", "collection"):
        monkeypatch.setenv(f"QA_STORE__{key.upper()}", str(getattr(store, key)))
    return store
