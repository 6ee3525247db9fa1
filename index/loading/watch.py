"""Keeping a folder and the index in step: file events, debounced, become ingests and prunes.

    >>> watcher = FolderWatcher("news", StoreSink(store, chunker, "news", writing=assistant.writing),
    ...                         quiet_s=1.0, on_event=print)
    >>> threading.Thread(target=watcher.run).start()   # sync the folder, then watch it
    >>> watcher.stop()                                 # from any thread or a signal handler

What happens to a path depends on what is on disk once it has been quiet, not on the events
that named it: a path that exists is ingested (a new or changed file, or a folder moved in), a
path that is gone has its articles pruned (a deleted file, or a folder moved out). A rename is
a deletion and an addition. Every path waits until its size, modification time and inode have
stood still for `quiet_s` seconds, so a file being written in several pieces is read once,
complete (a writer that pauses longer than that gets its file read again when it resumes).
Hidden files and folders, editor and download leftovers (`.swp`, `~`, `.part`, `.tmp`, ...)
and unsupported types are never looked at.

Writes go through the index's writer lock: while another process holds it, the paths wait and
are tried again every `retry_s` seconds. A file that cannot be read is reported as failed and
the watcher goes on.
"""

from __future__ import annotations

import logging
import stat as stat_module
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from index.loading.chunk import SentenceChunker
from index.errors import IndexBusyError, LoadError, QAError
from index.ingest import Ingestor
from index.loading.load import is_supported
from index.models import FileReport, IngestReport
from index.storage.store import ArticleStore

logger = logging.getLogger(__name__)

# Suffixes of files that are still being written or are an editor's scratch copy.
TEMPORARY_SUFFIXES = frozenset({".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".partial", ".crdownload",
                                ".download", ".filepart", ".bak", ".orig", ".lock"})

Signature = tuple[int, int, int] | str | None  # a file's (size, mtime_ns, inode), "dir", or None when gone
Changes = Iterable[tuple[str, str]]  # (what happened, path); what happened is informative only
EventSource = Callable[[threading.Event], Iterable[Changes]]


def ignored(path: Path, root: Path) -> bool:
    """Whether a path under `root` is never watched: hidden, or a temporary or editor file."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return True
    if any(part.startswith(".") for part in parts):  # .git/, .draft.txt, vim's .x.swp, emacs' .#x
        return True
    name = path.name
    return (name.endswith("~") or name.startswith("~$") or (name.startswith("#") and name.endswith("#"))
            or path.suffix.lower() in TEMPORARY_SUFFIXES)


def signature(path: Path) -> Signature:
    """What tells whether a path changed: a file's size, modification time and inode."""
    try:
        info = path.stat()
    except OSError:  # gone, or a broken symbolic link
        return None
    if stat_module.S_ISDIR(info.st_mode):
        return "dir"
    return (info.st_size, info.st_mtime_ns, info.st_ino)


@dataclass
class _Pending:
    since: float  # when the path last changed (an event, or a different signature)
    signature: Signature
    not_before: float = 0.0  # retried after the writer lock was busy


class Debouncer:
    """Paths wait here until they have been quiet for `quiet_s` seconds.

    Args:
        quiet_s: Seconds a path's signature must stand still before it is handed out.
        stat: Reads a path's signature (a test may hand in another).
    """

    def __init__(self, quiet_s: float, *, stat: Callable[[Path], Signature] = signature) -> None:
        if quiet_s < 0:
            raise ValueError(f"quiet_s must be 0 or more, not {quiet_s!r}")
        self.quiet_s = quiet_s
        self.stat = stat
        self._pending: dict[Path, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, path: object) -> bool:
        return path in self._pending

    def note(self, path: Path, now: float) -> None:
        """Something happened to `path`: its quiet period starts again."""
        entry = self._pending.get(path)
        if entry is None:
            self._pending[path] = _Pending(now, self.stat(path))
        else:
            entry.since, entry.signature = now, self.stat(path)

    def defer(self, paths: Iterable[Path], until: float) -> None:
        """Hand `paths` out again, not before `until` (and once quiet)."""
        for path in paths:
            entry = self._pending.setdefault(path, _Pending(until - self.quiet_s, self.stat(path)))
            entry.not_before = until

    def ready(self, now: float, limit: int | None = None) -> tuple[list[Path], list[Path]]:
        """The paths quiet for `quiet_s` seconds, removed from the waiting ones, as (present,
        gone): present ones are to be ingested, gone ones pruned. At most `limit` of them; a
        path inside a folder handed out in the same call is left out (the folder covers it)."""
        present: list[Path] = []
        gone: list[Path] = []
        for path in sorted(self._pending):
            if limit is not None and len(present) + len(gone) >= limit:
                break
            entry = self._pending[path]
            if now < entry.not_before:
                continue
            current = self.stat(path)
            if current != entry.signature:  # still being written: wait again
                entry.since, entry.signature = now, current
                continue
            if now - entry.since < self.quiet_s:
                continue
            del self._pending[path]
            (present if current is not None else gone).append(path)
        return _outermost(present), _outermost(gone)


def _outermost(paths: list[Path]) -> list[Path]:
    """`paths` without those inside another of them (sorted input)."""
    kept: list[Path] = []
    for path in paths:
        if not any(k in path.parents for k in kept):
            kept.append(path)
    return kept


@dataclass(frozen=True)
class WatchEvent:
    """One thing the watcher did or saw, for a line of output.

    `status` is a file's ingest outcome (indexed, updated, unchanged, skipped, failed), or
    pruned (an article removed; `article_id` says which), waiting (the writer lock is held
    elsewhere; `reason` says by whom), error (the index could not be written; retried),
    synced (the initial sync is done; `reason` sums it up), watching or stopped.
    `initial` marks what the initial sync reported.
    """

    status: str
    path: str = ""
    reason: str = ""
    articles: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    article_id: str = ""
    warnings: list[str] = field(default_factory=list)
    initial: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_report(cls, report: FileReport, *, initial: bool = False) -> WatchEvent:
        return cls(report.status, report.path, report.reason, report.articles, report.chunks_added,
                   report.chunks_deleted, warnings=list(report.warnings), initial=initial)


class IndexSink(Protocol):
    """Where the watcher's decisions go. Both methods raise `IndexBusyError` while another
    writer holds the index."""

    def ingest(self, paths: list[Path], on_file: Callable[[FileReport], None]) -> IngestReport:
        """Ingest files and folders, pruning the articles a re-read file no longer holds."""

    def prune(self, paths: list[Path]) -> list[tuple[str, str]]:
        """Remove the articles of files that are gone at or under `paths`; (id, path) of each."""


class StoreSink:
    """The index as the watcher writes it: ingests and prunes under the writer lock.

    Args:
        store: The article store.
        chunker: How articles are cut into chunks.
        root: The watched folder (sources are shown relative to it).
        writing: The writer lock as a context manager taking the seconds to wait
            (`Assistant.writing`); default: `index.lock.writer_lock` on `data_dir`.
        data_dir: The index's data directory, for the default `writing`.
    """

    def __init__(self, store: ArticleStore, chunker: SentenceChunker, root: str | Path, *,
                 writing: Callable[[float], AbstractContextManager[Any]] | None = None,
                 data_dir: Path | None = None) -> None:
        if writing is None:
            if data_dir is None:
                raise ValueError("StoreSink needs `writing` or `data_dir`")
            from index.lock import writer_lock

            def writing(wait_s: float) -> AbstractContextManager[Any]:
                return writer_lock(data_dir, timeout_s=wait_s)
        self.store = store
        self.chunker = chunker
        self.root = Path(root).expanduser().resolve()
        self.writing = writing

    def ingest(self, paths: list[Path], on_file: Callable[[FileReport], None]) -> IngestReport:
        with self.writing(0.0):
            try:
                return Ingestor(self.store, self.chunker).ingest(paths, prune=True, on_file=on_file, root=self.root)
            except BaseException:  # stopped between two batches: what is stored is searchable
                try:
                    self.store.sync_keywords()
                except Exception:
                    logger.exception("keyword sync after a stopped ingest failed (the next write redoes it)")
                raise

    def prune(self, paths: list[Path]) -> list[tuple[str, str]]:
        with self.writing(0.0):
            return prune_gone(self.store, paths)


def prune_gone(store: ArticleStore, paths: Iterable[Path]) -> list[tuple[str, str]]:
    """Remove the stored articles whose file is gone and was at or under one of `paths`;
    return (article id, file path) of each. A file that is back (renamed back, rewritten) keeps
    its articles."""
    paths = [Path(p) for p in paths]
    removed = []
    for info in store.articles():
        if not info.path:
            continue
        path = Path(info.path)
        if any(path == p or p in path.parents for p in paths) and not path.exists():
            store.delete_article(info.id, sync=False)
            removed.append((info.id, info.path))
    if removed:
        store.sync_keywords()
    return removed


def watchfiles_source(root: str | Path, *, tick_s: float = 0.2, force_polling: bool = False,
                      poll_s: float = 1.0) -> EventSource:
    """File events under `root` from `watchfiles` (inotify, FSEvents, ReadDirectoryChangesW;
    with `force_polling`, a scan every `poll_s` seconds, for network and container mounts), as
    batches of (change, path); an empty batch at least every `tick_s` seconds, so that quiet
    periods end on time. The watch is in place when the first batch comes."""
    tick_ms = max(1, int(tick_s * 1000))

    def events(stop: threading.Event) -> Iterator[Changes]:
        import watchfiles

        for changes in watchfiles.watch(root, watch_filter=None, debounce=tick_ms, step=min(50, tick_ms),
                                        stop_event=stop, rust_timeout=tick_ms, yield_on_timeout=True,
                                        force_polling=force_polling or None, poll_delay_ms=max(1, int(poll_s * 1000)),
                                        ignore_permission_denied=True):
            yield [(change.name, path) for change, path in changes]

    return events


class _Stopped(Exception):
    """Raised between two stored batches when the watcher is asked to stop."""


class FolderWatcher:
    """Keeps the index in step with a folder: an initial sync, then every change.

    Args:
        root: The folder; watched recursively.
        sink: Where ingests and prunes go (`StoreSink`, or a fake in tests).
        quiet_s: Seconds a file must stand still before it is read.
        on_event: Called with each `WatchEvent`, in the watcher's thread.
        source: File events (default: `watchfiles_source(root)`).
        clock: Monotonic seconds (a test may hand in a fake one).
        retry_s: Seconds between two tries while another process holds the writer lock.
        max_batch: Paths per ingest at most (a stop waits for one batch at most).

    Raises:
        LoadError: `root` is not a folder.
    """

    def __init__(self, root: str | Path, sink: IndexSink, *, quiet_s: float = 1.0,
                 on_event: Callable[[WatchEvent], None] | None = None, source: EventSource | None = None,
                 clock: Callable[[], float] = time.monotonic, retry_s: float = 2.0, max_batch: int = 200) -> None:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise LoadError(f"cannot watch {root}: {'not a folder' if root.exists() else 'no such folder'}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be 1 or more, not {max_batch!r}")
        self.root = root.resolve()
        self.sink = sink
        self.pending = Debouncer(quiet_s)
        self.on_event = on_event or (lambda event: None)
        self.source = source or watchfiles_source(self.root)
        self.clock = clock
        self.retry_s = retry_s
        self.max_batch = max_batch
        self._stop = threading.Event()
        self._busy = False  # the writer lock was held elsewhere at the last try
        self._initial = False

    # -- control ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the batch being stored (safe from another thread or a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Sync the folder, then follow its changes until `stop()` (or the source ends)."""
        events = iter(self.source(self._stop))
        synced = False
        try:
            for changes in events:
                if not synced:  # the watch is in place: nothing written from now on is missed
                    synced = True
                    if self.sync() is None:
                        break
                    self.emit(WatchEvent("watching", str(self.root), f"quiet period {self.pending.quiet_s:g} s"))
                self.notice(changes)
                self.flush()
                if self.stopping:
                    break
        except _Stopped:
            pass
        finally:
            close = getattr(events, "close", None)
            if close:
                close()
            self.emit(WatchEvent("stopped", str(self.root)))

    def sync(self) -> IngestReport | None:
        """Ingest the whole folder and prune what is gone from it: what changed while nobody
        watched. Waits while another process writes; None when stopped first."""
        self._initial = True
        try:
            while not self.stopping:
                try:
                    report = self.sink.ingest([self.root], self._on_file)
                except IndexBusyError as exc:
                    self._waiting(exc)
                    self._stop.wait(self.retry_s)
                    continue
                except _Stopped:
                    return None
                self._busy = False
                for article_id in report.pruned:
                    self.emit(WatchEvent("pruned", article_id=article_id, initial=True))
                self.emit(WatchEvent("synced", str(self.root), _summary(report), _articles(report),
                                     report.chunks_added, report.chunks_deleted, initial=True))
                return report
            return None
        finally:
            self._initial = False

    # -- steps (public for tests and for callers with their own loop) -----------------------
    def notice(self, changes: Changes) -> None:
        """Note file events; only the paths worth watching start waiting."""
        now = self.clock()
        for _, raw in changes:
            path = Path(raw)
            if path == self.root or ignored(path, self.root):
                continue
            if path.is_dir() or is_supported(path) or not path.exists():  # gone: maybe a folder
                self.pending.note(path, now)

    def flush(self) -> None:
        """Prune what is gone and ingest what is present, of the paths quiet long enough."""
        now = self.clock()
        present, gone = self.pending.ready(now, limit=self.max_batch)
        if gone:
            self._write(gone, now, self._prune)
        if present:
            self._write(present, now, self._ingest)

    def emit(self, event: WatchEvent) -> None:
        self.on_event(event)

    # -- internals -------------------------------------------------------------------------
    def _write(self, paths: list[Path], now: float, step: Callable[[list[Path]], None]) -> None:
        try:
            step(paths)
        except IndexBusyError as exc:
            self._waiting(exc)
            self.pending.defer(paths, now + self.retry_s)
            return
        except _Stopped:
            raise
        except QAError as exc:  # e.g. the Chroma server is down: try again later
            self.emit(WatchEvent("error", reason=f"{exc}; trying again in {self.retry_s:g} s"))
            self.pending.defer(paths, now + self.retry_s)
            return
        self._busy = False

    def _prune(self, paths: list[Path]) -> None:
        for article_id, path in self.sink.prune(paths):
            self.emit(WatchEvent("pruned", path, article_id=article_id))

    def _ingest(self, paths: list[Path]) -> None:
        # Gone since they were found quiet (the prune before took a while): pruned next time,
        # with their paths named, rather than failing here.
        gone = [path for path in paths if not path.exists()]
        for path in gone:
            self.pending.note(path, self.clock())
        paths = [path for path in paths if path not in gone]
        if not paths:
            return
        report = self.sink.ingest(paths, self._on_file)
        for article_id in report.pruned:  # no longer in a file that was read again
            self.emit(WatchEvent("pruned", article_id=article_id))
        for file in report.files:
            if file.status == "failed" and not Path(file.path).exists():  # deleted while waiting
                self.pending.note(Path(file.path), self.clock())

    def _on_file(self, report: FileReport) -> None:
        if not (report.status == "failed" and not Path(report.path).exists() and not self._initial):
            self.emit(WatchEvent.from_report(report, initial=self._initial))
        if self.stopping:
            raise _Stopped

    def _waiting(self, exc: IndexBusyError) -> None:
        if not self._busy:  # once per wait, not once per try
            self._busy = True
            self.emit(WatchEvent("waiting", reason=f"{exc}; trying again every {self.retry_s:g} s"))


def _articles(report: IngestReport) -> int:
    return sum(f.articles for f in report.files)


def _summary(report: IngestReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("indexed", "updated", "unchanged", "skipped", "failed")
                       if report.count(s))
    text = f"{len(report.files)} file(s)" + (f": {counts}" if counts else "")
    return text + (f"; {len(report.pruned)} article(s) pruned" if report.pruned else "")


__all__ = ["Debouncer", "FolderWatcher", "IndexSink", "StoreSink", "WatchEvent", "ignored", "prune_gone",
           "signature", "watchfiles_source"]
