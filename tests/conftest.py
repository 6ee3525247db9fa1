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
sys.path.insert(0, str(GUARD))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)
import netguard  # noqa: E402

netguard.install()

from index.embed import Embedder  # noqa: E402
from qa.api import Assistant  # noqa: E402
from qa.config import Settings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory, also for the CLI and child processes."""
    data = tmp_path / "qa-data"
    monkeypatch.setenv("QA_DATA__DIR", str(data))
    for name in [n for n in os.environ if n.startswith("QA_") and n != "QA_DATA__DIR"]:
        monkeypatch.delenv(name)
    return data


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled model, loaded once for the whole session."""
    return Embedder()


@pytest.fixture
def settings(isolated_data: Path) -> Settings:
    return Settings().model_copy(update={"data": Settings().data.model_copy(update={"dir": isolated_data})})


@pytest.fixture
def assistant(settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(settings, embedder=embedder)


@pytest.fixture
def sample_assistant(assistant: Assistant) -> Assistant:
    """An assistant whose index holds the bundled sample article."""
    report = assistant.ingest([SAMPLE_DIR])
    assert report.count("indexed") == 1
    return assistant
