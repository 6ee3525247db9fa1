"""The real console script: `qa ingest`/`qa ask` in a child process, and `qa serve` answering
through gradio_client and POST /api/ask on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import QA_SCRIPT as QA
from tests.support import ROOT, SAMPLE_DIR, both_store_modes, running_server

pytestmark = pytest.mark.slow


def test_console_script_ingest_and_ask() -> None:
    env = dict(os.environ)
    done = subprocess.run([QA, "ingest", str(SAMPLE_DIR)], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 indexed" in done.stdout
    done = subprocess.run([QA, "ask", "--json", "What did Macron announce about missiles?"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "medium- and long-range missiles" in json.loads(done.stdout)["answer"]
    done = subprocess.run([QA, "ask", ""], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "Error:" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path / "data", SAMPLE_DIR) as url:
        yield url


@both_store_modes
def test_serve_answers_through_gradio_client_and_http(server: str) -> None:
    from gradio_client import Client

    health = httpx.get(f"{server}/api/health").json()
    assert health["articles"] == 1

    answer = Client(server, verbose=False).predict("What did Macron announce about missiles?", api_name="/chat")
    assert "medium- and long-range missiles" in answer
    assert "[1]" in answer and "2024" in answer  # the source card with its date

    r = httpx.post(f"{server}/api/ask", json={"question": "What did Macron announce about missiles?"}, timeout=30)
    assert r.status_code == 200
    assert r.json()["citations"][0]["date"] == "2024-02-27"
