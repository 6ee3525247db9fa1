"""Concurrent use: one writer per data directory (a second ingest is refused with a message
naming the first, or waits with --wait), questions keep being answered while another process
ingests, an admin upload waits for a running `qa ingest`; and the admin password resists
guessing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from index.embedding.embed import Embedder
from index.errors import IndexBusyError
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import MODEL_CACHE, ROOT, SAMPLE_DIR, running_server
from tests.test_big_input import filing_code, write_dump
from ui.admin import Admin, safe_name
from ui.auth import AdminAuth

QA = str(Path(sys.executable).with_name("qa"))
HOLD = ("import sys, time\nfrom pathlib import Path\nfrom index.lock import writer_lock\n"
        "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(float(sys.argv[2]))\n")


def _holder(data: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the writer lock for `seconds`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data), str(seconds)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def fresh(tmp_path: Path, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path / "data"
    return Assistant(settings, embedder=embedder)


def test_a_second_writer_is_refused_with_a_message_naming_the_first(fresh: Assistant) -> None:
    holder = _holder(fresh.settings.data.dir, 30)
    try:
        with pytest.raises(IndexBusyError, match=rf"the index is being written by process {holder.pid} \("):
            fresh.ingest([SAMPLE_DIR])
        with pytest.raises(IndexBusyError, match="after waiting 1 s"):
            fresh.delete_article("anything", wait_s=1.0)
    finally:
        holder.kill()
        holder.wait()
    assert fresh.ingest([SAMPLE_DIR]).count("indexed") == 1  # a killed holder leaves no stale lock


def test_a_writer_that_waits_goes_ahead_when_the_first_finishes(fresh: Assistant) -> None:
    holder = _holder(fresh.settings.data.dir, 2)
    started = time.monotonic()
    report = fresh.ingest([SAMPLE_DIR], wait_s=60)
    assert report.count("indexed") == 1 and time.monotonic() - started >= 1.0
    holder.wait()


def test_an_admin_upload_waits_for_a_running_ingest(fresh: Assistant, tmp_path: Path) -> None:
    upload = tmp_path / "incoming" / "..%2F..%2Fescape-attempt.txt"
    upload.parent.mkdir()
    upload.write_text("Title: Upload\n\nThe night ferry will stop at the new pier from May.", encoding="utf-8")
    admin = Admin(fresh, "secret", fresh.settings.data.dir / "uploads", max_upload_mb=1, incoming=upload.parent)
    holder = _holder(fresh.settings.data.dir, 2)
    message, _, _ = admin.upload("secret", [str(upload)])
    holder.wait()
    assert "**indexed** escape-attempt.txt" in message
    stored = fresh.settings.data.dir / "uploads" / "escape-attempt.txt"
    assert stored.is_file() and [a.path for a in fresh.articles()] == [str(stored.resolve())]


@pytest.mark.parametrize("hostile, stored", [
    ("../../etc/passwd.txt", "passwd.txt"), ("/etc/cron.d/x.txt", "x.txt"), ("..%2F..%2Fx.txt", "x.txt"),
    ("%2e%2e%2f%2e%2e%2fy.txt", "y.txt"), ("C:\\Windows\\z.txt", "z.txt"), ("..\\..\\w.txt", "w.txt"),
    (".hidden.txt", "hidden.txt"), ("a b<c>|d.txt", "a-b-c-d.txt"), ("..", "article"),
])
def test_no_uploaded_name_reaches_outside_the_uploads_folder(hostile: str, stored: str, tmp_path: Path) -> None:
    name = safe_name(hostile)
    assert name == stored
    uploads = tmp_path / "uploads"
    assert (uploads / name).resolve().parent == uploads.resolve()


def test_wrong_passwords_make_the_address_wait_ever_longer(fresh: Assistant) -> None:
    import gradio as gr

    now = [1000.0]
    auth = AdminAuth("correct horse", clock=lambda: now[0])
    admin = Admin(fresh, auth, fresh.settings.data.dir / "uploads", max_upload_mb=1)
    messages = []
    for guess in ["a", "b", "c", "d", "e", "f", "g"]:
        with pytest.raises(gr.Error) as wrong:
            admin.check(guess)
        messages.append(wrong.value.message)
        now[0] += 8
    assert messages == ["Wrong or missing admin password."] + [
        f"Wrong or missing admin password. Wait {s} s before the next try." for s in (1, 2, 4, 8, 8, 8)]
    now[0] -= 1
    with pytest.raises(gr.Error, match="Too many wrong admin passwords from unknown; try again in 1 s"):
        admin.check("correct horse")  # too soon: not even checked
    with pytest.raises(gr.Error) as missing:
        admin.check(None)  # no password is no guess: not counted, never refused
    assert missing.value.message == "Wrong or missing admin password."
    now[0] += 1
    admin.check("correct horse")  # once the wait is over, the right one is let in


def _holds_lock(data: Path, pid: int) -> bool:
    lock = data / "writer.lock"
    return lock.exists() and lock.read_text(encoding="utf-8").startswith(f"{pid} ")


@pytest.mark.slow
def test_questions_are_answered_while_another_process_ingests(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dump = write_dump(tmp_path / "dump.jsonl", 600)  # some 15 s of embedding: time for a second ingest
    env = {**os.environ, "QA_DATA__DIR": str(data), "QA_EMBEDDING__CACHE_DIR": str(MODEL_CACHE)}
    with running_server(data, SAMPLE_DIR) as url:
        ingest = subprocess.Popen([QA, "ingest", str(dump)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        answered, busy = 0, None
        with httpx.Client(base_url=url, timeout=60) as client:
            while ingest.poll() is None:
                r = client.post("/api/ask", json={"question": "What did Macron announce about missiles?"})
                assert r.status_code == 200 and "long-range missiles" in r.json()["answer"]
                answered += 1
                time.sleep(0.1)
                if busy is None and _holds_lock(data, ingest.pid):  # a second ingest meanwhile: refused
                    busy = subprocess.run([QA, "ingest", str(SAMPLE_DIR)], env=env, cwd=ROOT, capture_output=True,
                                          text=True, timeout=120)
            out, _ = ingest.communicate()
            assert ingest.returncode == 0, out
            assert answered >= 5 and busy is not None
            assert busy.returncode == 2 and f"process {ingest.pid} (qa ingest" in busy.stderr
            # What the other process wrote reaches this server's answers (it looks every 2 s).
            titles: set[str] = set()
            deadline = time.monotonic() + 15
            while "Dispatch 7" not in titles and time.monotonic() < deadline:
                found = client.post("/api/ask", json={"question": f"Which dispatch has the filing code "
                                                                  f"{filing_code(7)}?"})
                titles = {c["title"] for c in found.json()["citations"]}
                time.sleep(0.5)
            assert "Dispatch 7" in titles
