"""SIGKILL at random points while `qa ingest` stores a JSONL dump, re-run each time: the final
index equals a clean ingest of the same dump, and the keyword index, the sentence vectors and
the token vectors agree with Chroma. (CI: 300 articles and 10 kills.)"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import MODEL_CACHE, ROOT
from tests.test_big_input import filing_code, write_dump

pytestmark = pytest.mark.slow

ARTICLES = int(os.environ.get("QA_CRASH_ARTICLES", "300"))
KILLS = int(os.environ.get("QA_CRASH_KILLS", "10"))
QA = str(Path(sys.executable).with_name("qa"))


def _ingest(dump: Path, data: Path, *, kill_after: float | None = None) -> tuple[bool, str]:
    """`qa ingest DUMP`; with `kill_after`, SIGKILL it that many seconds after it starts
    writing (it holds the data directory's writer lock), if it is still running.
    Returns (finished, output)."""
    env = {**os.environ, "QA_DATA__DIR": str(data), "QA_EMBEDDING__CACHE_DIR": str(MODEL_CACHE)}
    proc = subprocess.Popen([QA, "ingest", "--json", str(dump)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if kill_after is None:
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, out
        return True, out
    lock = data / "writer.lock"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:  # wait until it is writing
        if lock.exists() and lock.read_text(encoding="utf-8").startswith(f"{proc.pid} "):
            break
        time.sleep(0.05)
    try:
        out, _ = proc.communicate(timeout=kill_after)
        return proc.returncode == 0, out
    except subprocess.TimeoutExpired:
        proc.kill()  # SIGKILL: no cleanup, no atexit, mid-write
        out, _ = proc.communicate()
        return False, out


def _state(assistant: Assistant) -> dict:
    store = assistant.store
    chroma = set(store._get_all([])["ids"])
    records = set(store.records.list_keys())
    rows = store.sentences.read(sorted(chroma))
    store.sync_keywords()  # what any process does when it opens the index
    return {
        "chroma": chroma,
        "records": records,
        "keywords": set(store.keywords.ids),
        "sentences": set(rows),
        "tokens": {chunk_id for chunk_id, (_, tokens) in rows.items() if tokens is not None},
        "sentence_rows": store.sentences.count(),
        "articles": {a.id: a.chunks for a in assistant.articles()},
    }


def test_sigkill_at_random_points_then_resume_equals_a_clean_ingest(tmp_path: Path, embedder: Embedder) -> None:
    dump = write_dump(tmp_path / "dump.jsonl", ARTICLES)
    crashed = tmp_path / "crashed"
    rng = random.Random(20261126)
    kills = edition = attempts = 0
    while kills < KILLS and attempts < 3 * KILLS:
        attempts += 1
        finished, out = _ingest(dump, crashed, kill_after=rng.uniform(0.2, 3.0))
        if finished:  # done before the kill: revise a third of the articles, so that the next
            # runs replace chunks (delete and add) and can be killed doing that too
            assert json.loads(out)["summary"]["failed"] == 0
            edition += 1
            write_dump(dump, ARTICLES, edition=edition)
            continue
        kills += 1
    assert kills == KILLS
    print(f"\n{kills} SIGKILLs in {attempts} runs ({attempts - kills} finished first; {edition} revisions)")
    _, out = _ingest(dump, crashed)  # the run that completes it
    assert json.loads(out)["summary"]["failed"] == 0

    clean_settings, crashed_settings = Settings(), Settings()
    clean_settings.data.dir, crashed_settings.data.dir = tmp_path / "clean", crashed
    clean = Assistant(clean_settings, embedder=embedder)
    clean.ingest([dump])
    expected, got = _state(clean), _state(Assistant(crashed_settings, embedder=embedder))

    assert len(got["articles"]) == ARTICLES and got["articles"] == expected["articles"]
    assert got["chroma"] == expected["chroma"]  # chunk ids are content hashes: no duplicates, none missing
    assert got["records"] == got["chroma"] == got["keywords"]
    assert got["sentences"] == got["tokens"] == got["chroma"]
    assert got["sentence_rows"] == len(got["chroma"])  # no orphan rows left by a kill
    crashed_assistant = Assistant(crashed_settings, embedder=embedder)
    for n in rng.sample(range(ARTICLES), 40):  # every article answerable (a sample of 40)
        docs = crashed_assistant.retriever.invoke(f"Which dispatch has the filing code {filing_code(n)}?", k=3)
        assert f"dispatch-{n}" in {d.metadata["article_id"] for d in docs}
