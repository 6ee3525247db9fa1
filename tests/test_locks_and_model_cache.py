"""The file locks (`filelock`) and the per-user cache of the exported embedding model.

Locks: the data directory's writer lock (one writer; refused with the holder's pid, or waited
for; released by the kernel when its holder is killed), the refresh lock (taken without
waiting, released from any thread) and the model-export lock (concurrent first uses export once).

Model cache: by default `${XDG_CACHE_HOME:-~/.cache}/news-qa/models`, shared by every data
directory (a second data directory does not export again); `embedding.cache_dir` overrides it.
The export itself is stubbed here except in the end-to-end test, which seeds the cache from the
test session's export instead of paying 10-25 s for a new one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import index.embedding.onnx_model as onnx_model
from index.embedding.embed import default_cache_dir
from index.errors import IndexBusyError, ModelLoadError
from index.lock import LOCK_NAME, writer_lock
from qa.background import RefreshLock
from qa.config import Settings, load_settings
from tests.support import MODEL_CACHE, QA_SCRIPT, ROOT

HOLD = ("import sys, time\nfrom pathlib import Path\nfrom index.lock import writer_lock\n"
        "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n")


# -- the writer lock -----------------------------------------------------------------------------
def test_the_writer_lock_names_its_holder_and_a_refused_writer_does_not_erase_it(tmp_path: Path) -> None:
    with writer_lock(tmp_path):
        lock_file = tmp_path / LOCK_NAME
        assert lock_file.read_text(encoding="utf-8").startswith(f"{os.getpid()} ")
        for _ in range(2):  # a second writer, even in this process and thread, is refused: not re-entrant
            with pytest.raises(IndexBusyError, match=rf"^the index is being written by process {os.getpid()} \("):
                with writer_lock(tmp_path):
                    pass
        assert lock_file.read_text(encoding="utf-8").startswith(f"{os.getpid()} ")
    with writer_lock(tmp_path):  # released
        pass


def test_a_writer_in_another_thread_is_refused_or_waits(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(tmp_path):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        with pytest.raises(IndexBusyError, match="after waiting 0 s"):
            with writer_lock(tmp_path, timeout_s=0.3, poll_s=0.05):
                pass
        with pytest.raises(IndexBusyError, match="being written by process"):
            with writer_lock(tmp_path, timeout_s=-1):  # a negative wait is one try, as 0, never forever
                pass
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        with writer_lock(tmp_path, timeout_s=30, poll_s=0.05):
            assert time.monotonic() - started >= 0.4
    finally:
        release.set()
        holder.join(30)


def test_the_writer_lock_may_be_released_by_another_thread(tmp_path: Path) -> None:
    """A streamed ingest may be resumed, and finished, on another worker thread."""
    block = writer_lock(tmp_path)
    taken = threading.Thread(target=block.__enter__)
    taken.start()
    taken.join(30)
    with pytest.raises(IndexBusyError):
        with writer_lock(tmp_path):
            pass
    block.__exit__(None, None, None)
    with writer_lock(tmp_path):
        pass


def test_a_killed_writer_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError, match=rf"process {holder.pid} \(-c") as busy:
            with writer_lock(tmp_path, timeout_s=1.0, poll_s=0.1):
                pass
        assert "after waiting 1 s" in str(busy.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    with writer_lock(tmp_path):  # the kernel released it with the process
        assert (tmp_path / LOCK_NAME).read_text(encoding="utf-8").startswith(f"{os.getpid()} ")


# -- the refresh lock ----------------------------------------------------------------------------
def test_two_refresh_locks_exclude_each_other_and_release_from_any_thread(tmp_path: Path) -> None:
    first, second = RefreshLock(tmp_path), RefreshLock(tmp_path)
    assert first.try_acquire() and first.held and first.try_acquire()  # held: taking it again is a no-op
    assert (tmp_path / "refresh.lock").read_text().strip() == str(os.getpid())
    assert not second.try_acquire() and not second.held
    releaser = threading.Thread(target=first.release)
    releaser.start()
    releaser.join(30)
    assert not first.held
    assert second.try_acquire() and second.held  # taken over
    assert not first.try_acquire()
    second.release()
    second.release()  # releasing twice is harmless
    assert first.try_acquire()
    first.release()


# -- the model cache: where -------------------------------------------------------------------------
def test_the_default_model_cache_is_per_user_under_xdg_cache_home(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "news-qa" / "models"
    home = Path.home() / ".cache" / "news-qa" / "models"
    assert default_cache_dir({}) == home
    assert default_cache_dir({"XDG_CACHE_HOME": ""}) == home
    assert default_cache_dir({"XDG_CACHE_HOME": "relative/cache"}) == home  # ignored, as XDG says

    monkeypatch.delenv("QA_EMBEDDING__CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    settings = load_settings(env={"QA_DATA__DIR": str(tmp_path / "a")})
    assert settings.embedding.cache_dir is None
    assert settings.embedding.models_dir() == tmp_path / "xdg" / "news-qa" / "models"
    assert Settings().embedding.models_dir() == tmp_path / "xdg" / "news-qa" / "models"  # not under data.dir


def test_an_explicit_cache_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    config.write_text("embedding:\n  cache_dir: shared-models\n", encoding="utf-8")
    from_file = load_settings(config, env={})
    assert from_file.embedding.models_dir() == tmp_path / "conf" / "shared-models"  # relative to the file
    from_env = load_settings(config, env={"QA_EMBEDDING__CACHE_DIR": str(tmp_path / "elsewhere")})
    assert from_env.embedding.models_dir() == tmp_path / "elsewhere"


def test_every_data_directory_loads_the_model_from_the_one_cache(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import index.embedding.embed
    from qa.api import build_embedder

    class Loaded:
        dimension = 3

    calls: list[tuple] = []
    monkeypatch.setattr(index.embedding.embed, "load_encoder", lambda *args: calls.append(args) or Loaded())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QA_EMBEDDING__CACHE_DIR", raising=False)
    for data in ("srv-qa", "volume"):
        build_embedder(load_settings(env={"QA_DATA__DIR": str(tmp_path / data)}))
    assert [c[3] for c in calls] == [(tmp_path / "xdg" / "news-qa" / "models").resolve()] * 2
    build_embedder(load_settings(env={"QA_EMBEDDING__CACHE_DIR": str(tmp_path / "mine")}))
    assert calls[-1][3] == (tmp_path / "mine").resolve()


# -- the model cache: one export ----------------------------------------------------------------------
@pytest.fixture
def stub_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A tiny "model" folder, and `_export`/`_quantize` stubs that count their calls."""
    model = tmp_path / "stub-model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    calls: list[str] = []

    def export(model_dir: Path, out: Path) -> None:
        calls.append("export")
        time.sleep(0.3)  # long enough for the others to find the lock taken
        out.write_bytes(b"fp32")

    def quantize(fp32: Path, out: Path) -> None:
        calls.append("quantize")
        out.write_bytes(fp32.read_bytes() + b"->int8")

    monkeypatch.setattr(onnx_model, "_export", export)
    monkeypatch.setattr(onnx_model, "_quantize", quantize)
    return model, calls


def test_a_second_data_directory_does_not_export_again(tmp_path: Path, stub_export: tuple[Path, list[str]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model, calls = stub_export
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QA_EMBEDDING__CACHE_DIR", raising=False)
    paths = []
    for data in ("first", "second"):
        settings = load_settings(env={"QA_DATA__DIR": str(tmp_path / data)})
        paths.append(onnx_model.prepare(model, settings.embedding.models_dir(), quantized=True))
        assert not (tmp_path / data / "models").exists()
    assert calls == ["export", "quantize"]
    assert paths[0] == paths[1] and paths[0].read_bytes() == b"fp32->int8"
    assert paths[0].parent.parent == tmp_path / "xdg" / "news-qa" / "models"
    assert paths[0].name == "model-int8.onnx" and paths[0].parent.name.startswith("stub-model-")
    fp32 = onnx_model.prepare(model, tmp_path / "xdg" / "news-qa" / "models", quantized=False)
    assert fp32 == paths[0].with_name("model.onnx") and calls == ["export", "quantize"]  # precisions: two files


def test_concurrent_first_uses_in_threads_export_once(tmp_path: Path, stub_export: tuple[Path, list[str]]) -> None:
    model, calls = stub_export
    start = threading.Barrier(4)
    results: list[Path] = []

    def use() -> None:
        start.wait(30)
        results.append(onnx_model.prepare(model, tmp_path / "cache", quantized=True))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert calls == ["export", "quantize"] and len(set(results)) == 1 and len(results) == 4


PREPARE = """
import os, sys, time
from pathlib import Path
import index.embedding.onnx_model as m
model, cache, log, ready = (Path(a) for a in sys.argv[1:5])
def export(model_dir, out):
    with log.open("a") as f:
        f.write(f"export {os.getpid()}\\n")
    time.sleep(1.0)
    out.write_bytes(b"fp32")
def quantize(fp32, out):
    with log.open("a") as f:
        f.write(f"quantize {os.getpid()}\\n")
    out.write_bytes(b"int8")
m._export, m._quantize = export, quantize
(ready / str(os.getpid())).touch()
deadline = time.monotonic() + 60
while len(list(ready.iterdir())) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
print(m.prepare(model, cache, quantized=True), flush=True)
"""


def test_concurrent_first_uses_in_two_processes_export_once(tmp_path: Path,
                                                           stub_export: tuple[Path, list[str]]) -> None:
    model, _ = stub_export
    log, ready = tmp_path / "calls.log", tmp_path / "ready"
    ready.mkdir()
    args = [str(model), str(tmp_path / "cache"), str(log), str(ready)]
    procs = [subprocess.Popen([sys.executable, "-c", PREPARE, *args], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len({out.strip() for out, _ in outputs}) == 1
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["export", "quantize"]


def test_a_cache_that_cannot_be_created_is_a_clear_error(tmp_path: Path, stub_export: tuple[Path, list[str]]) -> None:
    model, calls = stub_export
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelLoadError, match=r"cannot create the embedding model cache .*set embedding\.cache_dir"):
        onnx_model.prepare(model, blocker / "models", quantized=True)
    assert calls == []


# -- end to end: `qa prepare` and a new data directory -----------------------------------------------
@pytest.mark.slow
def test_qa_prepare_and_new_data_directories_use_the_per_user_cache(tmp_path: Path) -> None:
    """With the export in the per-user cache (seeded from the session's, as `qa prepare` would
    leave it), `qa prepare` and a first `qa stats` on brand-new data directories export nothing."""
    exported = sorted(MODEL_CACHE.glob(f"model-*/{onnx_model.INT8_FILE}"))
    xdg = tmp_path / "xdg"
    env = {k: v for k, v in os.environ.items() if k != "QA_EMBEDDING__CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(xdg)
    from index.embedding.embed import model_folder

    folder = model_folder("all-MiniLM-L6-v2")
    seeded = xdg / "news-qa" / "models" / f"{folder.name}-{onnx_model.fingerprint(folder)}"
    source = MODEL_CACHE / seeded.name / onnx_model.INT8_FILE
    if not source.exists():
        pytest.skip(f"no session export at {source} (the session's embedder fixture makes it)")
    assert source in exported
    seeded.mkdir(parents=True)
    (seeded / onnx_model.INT8_FILE).symlink_to(source)

    for data in ("one", "two"):
        run_env = {**env, "QA_DATA__DIR": str(tmp_path / data)}
        command = ["prepare"] if data == "one" else ["stats"]
        done = subprocess.run([QA_SCRIPT, *command], capture_output=True, text=True, env=run_env, cwd=ROOT,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert "preparing the embedding model" not in done.stderr
        assert not (tmp_path / data / "models").exists()
    assert sorted(p.name for p in seeded.iterdir()) == [onnx_model.INT8_FILE]
