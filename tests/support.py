"""Helpers the tests share that are not fixtures: paths, the offline environment, free ports,
child processes (`qa serve`, `chroma run`), and the store-mode parametrization.

`tests/conftest.py` holds the fixtures and installs the network guard; it re-exports those of these names
that test files import from it (`from tests.conftest import ROOT`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the product is imported by conftest, after the network guard is installed
    from qa.config import StoreSettings

ROOT = Path(__file__).resolve().parent.parent
GUARD = Path(__file__).resolve().parent / "guard"
SAMPLE_DIR = ROOT / "data" / "articles"
SAMPLE_FILE = SAMPLE_DIR / "2024-02-27-macron-ukraine-ground-troops.txt"
ARTIFACTS = ROOT / "test-artifacts"

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false", "NO_PROXY": "*"}
# One ONNX export per machine, shared by every test and child process (it is a pure cache,
# keyed by the model files' fingerprint).
MODEL_CACHE = ROOT / ".qa-data" / "models"
# The QA_ variables a test's environment keeps; every other QA_ variable is removed.
KEPT_ENV = {"QA_DATA__DIR", "QA_EMBEDDING__CACHE_DIR"}

QA_SCRIPT = str(Path(sys.executable).with_name("qa"))
CHROMA_SCRIPT = str(Path(sys.executable).with_name("chroma"))

# The server store mode: the session's Chroma server (`chroma run`, a child process), so slow.
SERVER_MODE = pytest.param("server", marks=pytest.mark.slow)
# Run a test in both store modes: embedded Chroma, and a Chroma server with its own collection.
both_store_modes = pytest.mark.parametrize("store_mode", ["embedded", SERVER_MODE], indirect=True)


def server_store(host: str, port: int) -> StoreSettings:
    """Store settings for the Chroma server at host:port, with a collection of the test's own."""
    from qa.config import StoreSettings

    return StoreSettings(mode="server", host=host, port=port, collection=f"test-{uuid.uuid4().hex}")


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


# Debian's chromium driven by the playwright package (never `playwright install`: it downloads).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
