"""`qa watch DIR` (#12): a folder kept in step with the index. New and changed files are indexed
once they stand still, deleted ones pruned, a rename is both; hidden, temporary and unsupported
files are ignored; the writer lock is waited for; Ctrl-C and SIGTERM stop cleanly.

The debounce and the decisions are tested with a fake clock, event source and sink; the whole
thing with the real model, Chroma and OS file events, in a thread and in a `qa watch` process.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.errors import IndexBusyError, StoreUnavailableError
from index.lock import writer_lock
from index.models import FileReport, IngestReport
from index.loading.watch import Debouncer, FolderWatcher, StoreSink, WatchEvent, ignored, prune_gone
from qa.api import Assistant
from qa.watch import folder_watcher
from ui.cli.watch_command import watch
from tests.support import ROOT, SAMPLE_FILE

QUIET = 0.5  # seconds, in the tests with real file events

STORM = ["Title: Storm on the coast\n\nA storm hit the coast of Brittany on Sunday night.",
         " Ten houses in Brest lost their roofs.",
         " The fire brigade rescued a cat named Biscuit from a flooded cellar.\n"]
BRIDGE = ("Title: Springfield bridge\n\nThe mayor of Springfield opened the new river bridge on Monday. "
          "The bridge cost {cost} million dollars to build.\n")


# -- fakes -------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSink:
    """Records what it is asked to do, with each file's content at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Path]]] = []
        self.read: dict[Path, str] = {}
        self.busy = 0  # the next n calls find the writer lock held
        self.down = 0  # the next n calls find the store unreachable

    def _check(self) -> None:
        if self.busy:
            self.busy -= 1
            raise IndexBusyError("the index is being written by process 42 (qa ingest)")
        if self.down:
            self.down -= 1
            raise StoreUnavailableError("cannot reach the Chroma server at 127.0.0.1:8000")

    def ingest(self, paths: list[Path], on_file: Callable[[FileReport], None]) -> IngestReport:
        self._check()
        self.calls.append(("ingest", list(paths)))
        report = IngestReport()
        for path in paths:
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                text = file.read_text() if file.exists() else ""
                self.read[file] = text
                status = "indexed" if text.strip() else "failed"
                report.files.append(FileReport(str(file), status, "" if text.strip() else "empty file"))
                on_file(report.files[-1])
        return report

    def prune(self, paths: list[Path]) -> list[tuple[str, str]]:
        self._check()
        self.calls.append(("prune", list(paths)))
        return [(f"{p.stem}-id", str(p)) for p in paths]


def scripted(clock: Clock, steps: list[tuple[float, Callable[[], list[tuple[str, str]]] | None]]):
    """An event source: before each batch the clock moves on by `advance` and `act` runs (it
    writes files and returns the events the OS would report)."""

    def source(stop: threading.Event) -> Iterator[list[tuple[str, str]]]:
        for advance, act in steps:
            clock.now += advance
            yield act() if act else []
            if stop.is_set():
                return

    return source


def ticks(n: int, every: float = 0.25) -> list[tuple[float, None]]:
    return [(every, None)] * n


def fake_watcher(root: Path, steps: list, retry_s: float = 2.0) -> tuple[FolderWatcher, FakeSink, list[WatchEvent]]:
    """A watcher with a quiet period of 1 s on the fake clock (steps in exact binary fractions)."""
    clock, sink, events = Clock(), FakeSink(), []
    watcher = FolderWatcher(root, sink, quiet_s=1.0, on_event=events.append, clock=clock,
                            source=scripted(clock, steps), retry_s=retry_s)
    return watcher, sink, events


# -- what is watched -----------------------------------------------------------------------
@pytest.mark.parametrize("name", [".draft.txt", ".git/config", "sub/.hidden/a.txt", "a.txt.swp", "a.txt~",
                                  "a.txt.part", "a.txt.tmp", "#a.txt#", "~$report.txt", "a.crdownload"])
def test_hidden_temporary_and_editor_files_are_ignored(tmp_path: Path, name: str) -> None:
    assert ignored(tmp_path / name, tmp_path)


@pytest.mark.parametrize("name", ["a.txt", "world/2024-02-27-a.md", "b.json", "dump.jsonl", "world"])
def test_articles_and_folders_are_watched(tmp_path: Path, name: str) -> None:
    assert not ignored(tmp_path / name, tmp_path)


# -- the debounce --------------------------------------------------------------------------
def test_a_growing_file_is_handed_out_once_it_stood_still_for_the_quiet_period(tmp_path: Path) -> None:
    sizes = {tmp_path / "a.txt": 10}
    pending = Debouncer(1.0, stat=lambda p: (sizes[p], 0, 1) if p in sizes else None)
    pending.note(tmp_path / "a.txt", 0.0)
    # It keeps growing, with no event telling: each look at its size starts the wait again.
    for t in (0.5, 1.0, 1.5):
        sizes[tmp_path / "a.txt"] += 10
        assert pending.ready(t) == ([], [])
    assert pending.ready(2.4) == ([], [])  # quiet for 0.9 s
    assert pending.ready(2.5) == ([tmp_path / "a.txt"], [])
    assert len(pending) == 0 and pending.ready(10.0) == ([], [])  # handed out once


def test_an_event_restarts_the_quiet_period_and_gone_paths_are_handed_out_to_prune(tmp_path: Path) -> None:
    pending = Debouncer(1.0, stat=lambda p: None)
    pending.note(tmp_path / "a.txt", 0.0)
    pending.note(tmp_path / "a.txt", 0.8)  # the same path again: one entry, its wait starts again
    assert len(pending) == 1
    assert pending.ready(1.5) == ([], [])
    assert pending.ready(1.8) == ([], [tmp_path / "a.txt"])


def test_a_folder_covers_the_files_inside_it_and_limit_caps_a_batch(tmp_path: Path) -> None:
    pending = Debouncer(0.0, stat=lambda p: "dir" if p.name == "world" else (1, 1, 1))
    for name in ("world", "world/a.txt", "world/b.txt", "z.txt", "y.txt"):
        pending.note(tmp_path / name, 0.0)
    assert pending.ready(1.0, limit=3) == ([tmp_path / "world"], [])  # world/a.txt, world/b.txt are inside
    assert pending.ready(1.0) == ([tmp_path / "y.txt", tmp_path / "z.txt"], [])


def test_a_deferred_path_waits_until_its_time(tmp_path: Path) -> None:
    pending = Debouncer(1.0, stat=lambda p: (1, 1, 1))
    pending.defer([tmp_path / "a.txt"], until=5.0)
    assert pending.ready(4.9) == ([], [])
    assert pending.ready(5.0) == ([tmp_path / "a.txt"], [])


def test_a_negative_quiet_period_is_refused() -> None:
    with pytest.raises(ValueError, match="quiet_s must be 0 or more, not -1"):
        Debouncer(-1)


# -- the watcher's decisions (fake clock, events and sink) --------------------------------
def test_the_folder_is_synced_first_then_a_file_written_in_pieces_is_read_once_complete(tmp_path: Path) -> None:
    new = tmp_path / "new.txt"

    def write(piece: str, mode: str = "a") -> Callable[[], list[tuple[str, str]]]:
        def act() -> list[tuple[str, str]]:
            with new.open(mode) as handle:
                handle.write(piece)
            return [("added" if mode == "w" else "modified", str(new))]
        return act

    steps = [(0.0, None), (0.125, write(STORM[0], "w")), (0.5, write(STORM[1])), (0.5, write(STORM[2])),
             *ticks(6)]
    watcher, sink, events = fake_watcher(tmp_path, steps)
    watcher.run()
    assert sink.calls == [("ingest", [tmp_path]), ("ingest", [new])]  # the sync, then the file, once
    assert sink.read[new] == "".join(STORM)  # read complete
    assert [e.status for e in events] == ["synced", "watching", "indexed", "stopped"]
    assert events[0].initial and not events[2].initial and events[2].path == str(new)


def test_deleted_files_are_pruned_and_a_rename_is_a_prune_and_an_ingest(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("Some article text.")
    (tmp_path / "gone.md").write_text("Another article.")

    def rename_and_delete() -> list[tuple[str, str]]:
        (tmp_path / "old.txt").rename(tmp_path / "new.txt")
        (tmp_path / "gone.md").unlink()
        return [("deleted", str(tmp_path / "old.txt")), ("added", str(tmp_path / "new.txt")),
                ("deleted", str(tmp_path / "gone.md"))]

    watcher, sink, events = fake_watcher(tmp_path, [(0.0, None), (0.125, rename_and_delete), *ticks(6)])
    watcher.run()
    assert sink.calls[1:] == [("prune", [tmp_path / "gone.md", tmp_path / "old.txt"]),
                              ("ingest", [tmp_path / "new.txt"])]
    pruned = [(e.path, e.article_id) for e in events if e.status == "pruned"]
    assert pruned == [(str(tmp_path / "gone.md"), "gone-id"), (str(tmp_path / "old.txt"), "old-id")]


def test_hidden_temporary_and_unsupported_files_never_reach_the_index(tmp_path: Path) -> None:
    names = [".draft.txt", "a.txt.swp", "a.txt~", "a.txt.part", "photo.jpg", ".git/index"]

    def write() -> list[tuple[str, str]]:
        for name in names:
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_text("text")
        return [("added", str(tmp_path / name)) for name in names]

    watcher, sink, events = fake_watcher(tmp_path, [(0.0, None), (0.125, write), *ticks(6)])
    watcher.run()
    assert sink.calls == [("ingest", [tmp_path])]  # the sync only


def test_a_broken_file_is_reported_and_the_watcher_goes_on(tmp_path: Path) -> None:
    def broken() -> list[tuple[str, str]]:
        (tmp_path / "empty.txt").write_text("  ")
        return [("added", str(tmp_path / "empty.txt"))]

    def fine() -> list[tuple[str, str]]:
        (tmp_path / "fine.txt").write_text("An article.")
        return [("added", str(tmp_path / "fine.txt"))]

    watcher, sink, events = fake_watcher(tmp_path, [(0.0, None), (0.125, broken), *ticks(5), (0.125, fine),
                                                    *ticks(5)])
    watcher.run()
    assert [(e.status, Path(e.path).name, e.reason) for e in events if e.path.endswith(".txt")] == [
        ("failed", "empty.txt", "empty file"), ("indexed", "fine.txt", "")]


def test_while_another_writer_holds_the_lock_the_watcher_waits_and_tries_again(tmp_path: Path) -> None:
    def add() -> list[tuple[str, str]]:
        (tmp_path / "a.txt").write_text("An article.")
        sink.busy = 3  # the file is refused three times
        return [("added", str(tmp_path / "a.txt"))]

    watcher, sink, events = fake_watcher(tmp_path, [(0.0, None), (0.125, add), *ticks(30)], retry_s=0.25)
    sink.busy = 1  # the sync waits once
    watcher.run()
    statuses = [e.status for e in events]
    # One line per wait, not per try; then everything goes ahead.
    assert statuses == ["waiting", "synced", "watching", "waiting", "indexed", "stopped"]
    assert "process 42 (qa ingest); trying again every 0.25 s" in events[0].reason
    assert sink.calls == [("ingest", [tmp_path]), ("ingest", [tmp_path / "a.txt"])]


def test_an_unreachable_store_is_reported_and_tried_again(tmp_path: Path) -> None:
    def add() -> list[tuple[str, str]]:
        (tmp_path / "a.txt").write_text("An article.")
        return [("added", str(tmp_path / "a.txt"))]

    watcher, sink, events = fake_watcher(tmp_path, [(0.0, None), (0.125, add), (1.125, None), *ticks(14)])
    watcher.sync = lambda: IngestReport()  # type: ignore[method-assign]
    sink.down = 1
    watcher.run()
    assert [e.status for e in events] == ["watching", "error", "indexed", "stopped"]
    assert events[1].reason == "cannot reach the Chroma server at 127.0.0.1:8000; trying again in 2 s"


def test_stop_ends_the_run_after_the_current_batch(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text("An article.")
    clock, sink, events = Clock(), FakeSink(), []

    def on_event(event: WatchEvent) -> None:
        events.append(event)
        if event.status == "indexed":
            watcher.stop()  # as a signal handler would

    watcher = FolderWatcher(tmp_path, sink, on_event=on_event, clock=clock, source=scripted(clock, ticks(100)))
    watcher.run()
    assert [e.status for e in events] == ["indexed", "stopped"]  # the sync stopped between two files


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    from index.errors import LoadError

    with pytest.raises(LoadError, match="cannot watch .*nothing: no such folder"):
        FolderWatcher(tmp_path / "nothing", FakeSink())


def test_prune_keeps_a_file_that_is_back(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(SAMPLE_FILE, folder)
    assistant.ingest([folder])
    assert prune_gone(assistant.store, [folder / SAMPLE_FILE.name]) == []
    (folder / SAMPLE_FILE.name).unlink()
    assert [path for _, path in prune_gone(assistant.store, [folder])] == [str(folder / SAMPLE_FILE.name)]
    assert assistant.articles() == []


def test_the_sink_keeps_each_files_source_when_it_ingests_it_alone(assistant: Assistant, tmp_path: Path) -> None:
    """A touched file in a subfolder (a text file or a JSONL dump, read by another path) keeps
    the source the folder's sync gave it: unchanged, nothing embedded. Fails if sources drift."""
    folder = tmp_path / "news"
    (folder / "world").mkdir(parents=True)
    (folder / "world" / "bridge.txt").write_text(BRIDGE.format(cost=12))
    (folder / "world" / "briefs.jsonl").write_text(
        '{"title": "Ferry", "text": "The Springfield ferry carried 90 passengers on Sunday."}\n')
    sink = StoreSink(assistant.store, assistant.chunker, folder, writing=assistant.writing)
    assert sink.ingest([folder], lambda report: None).count("indexed") == 2
    sources = {"world/bridge.txt", "world/briefs.jsonl"}
    assert {a.source for a in assistant.articles()} == sources
    for name in ("bridge.txt", "briefs.jsonl"):
        report = sink.ingest([folder / "world" / name], lambda report: None)
        assert [(f.status, f.chunks_added, f.chunks_deleted) for f in report.files] == [("unchanged", 0, 0)], name
        assert report.pruned == []
    report = sink.ingest([folder / "world"], lambda report: None)
    assert [f.status for f in report.files] == ["unchanged", "unchanged"]
    assert {a.source for a in assistant.articles()} == sources


# -- end to end: the real model, Chroma and OS file events --------------------------------
class Watching:
    """A watcher over `folder` in a thread, its events in a queue."""

    def __init__(self, assistant: Assistant, folder: Path) -> None:
        self.events: queue.Queue[WatchEvent] = queue.Queue()
        self.seen: list[WatchEvent] = []
        self.watcher = folder_watcher(assistant, folder, quiet_s=QUIET, on_event=self.events.put, retry_s=0.2)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.folder = folder.resolve()

    def next(self, status: str, name: str | None = None, timeout: float = 15.0) -> WatchEvent:
        """The next event with `status` (for the file `name` under the folder)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {status} event for {name} in {timeout} s; saw "
                                     f"{[(e.status, e.path) for e in self.seen]}") from None
            self.seen.append(event)
            if event.status == status and (name is None or event.path == str(self.folder / name)):
                return event

    def about(self, name: str) -> list[str]:
        return [e.status for e in self.seen if e.path == str(self.folder / name)]


@pytest.fixture
def watching(assistant: Assistant, tmp_path: Path) -> Iterator[Watching]:
    folder = tmp_path / "news"
    (folder / "world").mkdir(parents=True)
    shutil.copy(SAMPLE_FILE, folder)
    (folder / "world" / "bridge.txt").write_text(BRIDGE.format(cost=12))
    # Ingested once, then deleted while nobody watched: the sync at start prunes it.
    (folder / "stale.txt").write_text("A stale article about a village fete in Kent.")
    assert assistant.ingest([folder]).count("indexed") == 3
    (folder / "stale.txt").unlink()
    w = Watching(assistant, folder)
    w.thread.start()
    try:
        yield w
    finally:
        w.watcher.stop()
        w.thread.join(timeout=15)
    assert not w.thread.is_alive()
    assert w.seen[-1].status == "stopped" or w.next("stopped")


def titles(assistant: Assistant) -> set[str]:
    return {a.title for a in assistant.articles()}


def test_qa_watch_picks_up_a_new_file_a_changed_file_and_a_deletion(watching: Watching, assistant: Assistant) -> None:
    w, folder = watching, watching.folder
    synced = w.next("synced")
    w.next("watching")
    assert synced.reason == "2 file(s): 2 unchanged; 1 article(s) pruned"
    assert [e.article_id for e in w.seen if e.status == "pruned"] == [
        next(e.article_id for e in w.seen if e.status == "pruned")]  # the stale article
    assert "Stale" not in " ".join(titles(assistant))

    # A new file, written in three pieces: read once, complete.
    with (folder / "storm.txt").open("w") as handle:
        for piece in STORM:
            handle.write(piece)
            handle.flush()
            time.sleep(0.1)
    event = w.next("indexed", "storm.txt")
    assert event.articles == 1 and event.chunks_added >= 1
    answer = assistant.ask("What was the name of the cat the fire brigade rescued?")
    assert answer.outcome == "answered" and "Biscuit" in answer.text, answer.text
    assert answer.citations[0].source == "storm.txt"

    # A touched file costs nothing (also in a subfolder: same source, no re-embedding).
    os.utime(folder / "world" / "bridge.txt")
    assert w.next("unchanged", "world/bridge.txt").chunks_added == 0

    # A changed file has its chunks replaced.
    (folder / "world" / "bridge.txt").write_text(BRIDGE.format(cost=15))
    event = w.next("updated", "world/bridge.txt")
    assert event.chunks_added >= 1 and event.chunks_deleted >= 1
    answer = assistant.ask("How much did the Springfield bridge cost?")
    assert "15 million" in answer.text and "12 million" not in answer.text, answer.text
    assert answer.citations[0].source == "world/bridge.txt"

    # A deleted file has its article pruned, and questions no longer find it.
    (folder / SAMPLE_FILE.name).unlink()
    w.next("pruned", SAMPLE_FILE.name)
    assert titles(assistant) == {"Storm on the coast", "Springfield bridge"}
    answer = assistant.ask("What did Macron announce about missiles?")
    assert answer.outcome != "answered" and all("Macron" not in c.title for c in answer.citations)

    assert w.about("storm.txt") == ["indexed"]  # read once, though written in three pieces


def test_renames_broken_files_ignored_files_and_a_busy_index(watching: Watching, assistant: Assistant) -> None:
    w, folder = watching, watching.folder
    w.next("watching")

    # Scratch files, hidden files and unsupported types never produce an event.
    for name in (".draft.txt", "notes.txt.swp", "notes.txt~", "download.txt.part", "photo.png"):
        (folder / name).write_text("A storm hit the coast.")
    # A broken file is reported, and the watcher goes on.
    (folder / "empty.txt").write_text("   \n")
    assert w.next("failed", "empty.txt").reason == "file contains only whitespace"

    # A rename (here out of a subfolder) is a prune and an addition.
    (folder / "world" / "bridge.txt").rename(folder / "bridge-moved.txt")
    w.next("indexed", "bridge-moved.txt")
    if "pruned" not in w.about("world/bridge.txt"):
        w.next("pruned", "world/bridge.txt")
    assert sorted(a.source for a in assistant.articles()) == ["2024-02-27-macron-ukraine-ground-troops.txt",
                                                              "bridge-moved.txt"]

    # A folder moved in is walked (sources relative to the watched folder); moved out, pruned.
    outside = folder.parent / "outside" / "batch"
    outside.mkdir(parents=True)
    for n in (1, 2):
        (outside / f"apples-{n}.txt").write_text(f"Title: Apples {n}\n\nOrchard number {n} sold apples.\n")
    outside.rename(folder / "batch")
    for n in (1, 2):
        w.next("indexed", f"batch/apples-{n}.txt")
    assert {a.source for a in assistant.articles()} >= {"batch/apples-1.txt", "batch/apples-2.txt"}
    (folder / "batch").rename(outside)
    moved_out = len(w.seen)
    while len([e for e in w.seen[moved_out:] if e.status == "pruned"]) < 2:
        # Named by path; or, when the move came while its files were being read, by id only.
        assert w.next("pruned").article_id.startswith("apples-")
    assert not [a for a in assistant.articles() if a.title.startswith("Apples")]

    # Another process writes: the watcher waits for it, then goes ahead.
    with writer_lock(assistant.settings.data.dir, timeout_s=10):
        (folder / "storm.txt").write_text("".join(STORM))
        assert "the index is being written by process" in w.next("waiting").reason
        assert "Storm on the coast" not in titles(assistant)
    w.next("indexed", "storm.txt")
    assert "Storm on the coast" in titles(assistant)

    ignored_names = {".draft.txt", "notes.txt.swp", "notes.txt~", "download.txt.part", "photo.png"}
    assert not [e for e in w.seen if Path(e.path).name in ignored_names]


# -- the command -----------------------------------------------------------------------------
def cli_app():
    """`qa` with `watch` registered as ui/cli/app.py registers it."""
    from ui.cli.app import app

    if not any(command.callback is watch for command in app.registered_commands):
        app.command(name="watch")(watch)
    return app


def test_watch_once_syncs_and_exits_with_the_ingest_exit_status(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(SAMPLE_FILE, folder)
    runner = CliRunner()
    result = runner.invoke(cli_app(), ["watch", str(folder), "--once"], prog_name="qa", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"indexed   {SAMPLE_FILE.name}  1 article(s)" in result.output
    assert "synced" in result.output and "1 file(s): 1 indexed" in result.output

    (folder / "empty.txt").write_text("")
    result = runner.invoke(cli_app(), ["watch", str(folder), "--once", "--json"], prog_name="qa",
                           catch_exceptions=False)
    assert result.exit_code == 1, result.output  # as `qa ingest`: some file failed
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(line["status"], Path(line["path"]).name) for line in lines] == [
        ("unchanged", SAMPLE_FILE.name), ("failed", "empty.txt"), ("synced", "news")]
    assert lines[1]["reason"] == "empty file" and all(line["initial"] for line in lines)

    result = runner.invoke(cli_app(), ["watch", str(tmp_path / "nothing")], prog_name="qa")
    assert result.exit_code == 2 and "cannot watch" in result.output and "no such folder" in result.output


WATCH_MAIN = ("from ui.cli.app import app\nfrom ui.cli.watch_command import watch\n"
              "app.command(name='watch')(watch)\napp(prog_name='qa')\n")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_command_follows_the_folder_and_stops_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", WATCH_MAIN, "watch", str(folder), "--json", "--quiet-period",
                             str(QUIET)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[dict] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(json.loads(line)) for line in proc.stdout], daemon=True).start()

    def until(status: str) -> dict:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                assert proc.poll() is None, proc.stderr.read()
                continue
            if line["status"] == status:
                return line
        raise AssertionError(f"no {status} line")

    try:
        until("watching")
        shutil.copy(SAMPLE_FILE, folder)
        assert Path(until("indexed")["path"]).name == SAMPLE_FILE.name
        proc.send_signal(signum)
        assert until("stopped")["path"] == str(folder.resolve())
        assert proc.wait(timeout=15) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
