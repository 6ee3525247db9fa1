"""Setup: `make install` ends with `qa prepare`, so the first command after it is not slow."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MODEL_CACHE, ROOT


@pytest.mark.slow
def test_qa_prepare_reports_a_ready_model_and_makes_the_next_command_quiet(tmp_path: Path) -> None:
    """`make install` ends with `qa prepare`; with the model prepared, no command exports again."""
    env = {**os.environ, "QA_DATA__DIR": str(tmp_path / "data"), "QA_EMBEDDING__CACHE_DIR": str(MODEL_CACHE)}
    qa = str(Path(os.sys.executable).with_name("qa"))
    before = sorted(p.name for p in MODEL_CACHE.rglob("*"))
    done = subprocess.run([qa, "prepare"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Embedding model ready: all-MiniLM-L6-v2 (int8), backend onnx-int8 (")
    asked = subprocess.run([qa, "ask", "anything?"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
    assert "preparing the embedding model" not in done.stderr + asked.stderr
    assert sorted(p.name for p in MODEL_CACHE.rglob("*")) == before
