"""Files and folders -> stored chunks, with a per-file report.

A bad file is reported (skipped or failed, with the reason) and the batch goes on. Pruning
removes articles whose file is gone, or that a re-read file no longer contains; articles of a
file that failed to load this time are kept, so a transient error loses nothing.

Articles are stored in batches of about `batch_chunks` chunks, gathered across small files
and cut inside big ones: a JSONL dump of any size is read line by line and stored as it is
read, so memory does not grow with the input, progress moves per batch, and an interrupted
run resumes where it stopped (stored chunks are recognized by the record manager and not
embedded again).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.loading.chunk import SentenceChunker
from index.errors import LoadError, StoreUnavailableError, UnsupportedFileError
from index.loading.load import iter_sources, load_file, stream_jsonl
from index.models import Article, Chunk, FileReport, IngestProgress, IngestReport
from index.storage.store import ArticleStore

logger = logging.getLogger(__name__)

Progress = Callable[[FileReport], None]


@dataclass
class _Loaded:
    """A file (or, for a big one, a slice of it) read and chunked, waiting to be stored."""

    path: Path
    report: FileReport
    items: list[tuple[Article, list[Chunk]]] = field(default_factory=list)
    last: bool = True  # the file's last slice: its report is final once this is stored
    size: int = 0  # bytes of the file this slice completes, for progress


class Ingestor:
    """Loads, chunks and stores articles.

    Args:
        store: Where the chunks go.
        chunker: How articles are cut into chunks.
        batch_chunks: Chunks stored per indexing call; files and articles are gathered until
            they reach it (one Chroma write costs some 14 ms whatever its size).
    """

    def __init__(self, store: ArticleStore, chunker: SentenceChunker, *, batch_chunks: int = 256) -> None:
        self.store = store
        self.chunker = chunker
        self.batch_chunks = batch_chunks

    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False,
               on_file: Progress | None = None, on_start: Callable[[int], None] | None = None,
               on_progress: Callable[[IngestProgress], None] | None = None,
               root: str | Path | None = None) -> IngestReport:
        """Ingest every supported file under `paths`.

        Args:
            paths: Files and folders; folders are walked recursively.
            prune: Also remove stored articles under `paths` whose file is gone.
            on_file: Called with each file's report once it is stored (progress display).
            on_start: Called once with the number of files found.
            on_progress: Called after every stored batch with the bytes and articles done so far.
            root: Show each file's source relative to this folder (`world/a.txt`), however it
                is reached: a file ingested alone keeps the source the folder's ingest gave it
                (without `root`, a file named alone is shown by its bare name, so it would be
                another source, re-embedded). Every path must be at or under `root`.

        Raises:
            ValueError: A path is not at or under `root` (nothing is read or written then).
        """
        paths = [Path(p).expanduser() for p in paths]
        files = list(iter_sources(paths, root=root))
        if on_start:
            on_start(len(files))
        progress = IngestProgress(files_total=len(files), bytes_total=sum(_size(path) for path, _, _ in files))
        report = IngestReport()
        seen: dict[str, set[str]] = {}  # resolved file path -> ids of the articles it holds now
        pending: list[_Loaded] = []  # files read and chunked, stored together once enough wait
        streaming = 0  # bytes read so far of the big file being streamed

        def flush() -> None:
            self._store(pending, seen)
            for loaded in pending:
                progress.articles += len(loaded.items)
                if loaded.last:
                    progress.files_done += 1
                    progress.bytes_done += loaded.size
                    if on_file:
                        on_file(loaded.report)
            pending.clear()
            if on_progress:
                on_progress(progress.moved(streaming))

        def full() -> bool:
            return sum(len(c) for item in pending for _, c in item.items) >= self.batch_chunks

        for path, explicit, shown in files:
            if path.suffix.lower() == ".jsonl" and path.is_file():
                file_report = FileReport(str(path), "unchanged")
                report.files.append(file_report)
                for piece in self._stream(path, shown, file_report):
                    if isinstance(piece, int):
                        streaming = piece
                        continue
                    pending.append(piece)
                    if piece.last:
                        streaming = 0  # its size now counts in bytes_done
                    if full() or piece.last:
                        flush()
                continue
            loaded = self._load(path, explicit, shown)
            loaded.size = _size(path)
            report.files.append(loaded.report)
            pending.append(loaded)
            if full():
                flush()
        flush()
        if prune:
            report.pruned = self._prune(paths, seen)
        if report.chunks_added or report.chunks_deleted or report.pruned:
            self.store.sync_keywords()
        return report

    def _load(self, path: Path, explicit: bool, shown: str) -> _Loaded:
        where = str(path)
        try:
            loaded = load_file(path, shown)
        except UnsupportedFileError as exc:
            # Named on the command line: the user meant it, so it failed. Met in a folder: skipped.
            return _Loaded(path, FileReport(where, "failed" if explicit else "skipped", str(exc)))
        except LoadError as exc:
            return _Loaded(path, FileReport(where, "failed", str(exc)))
        report = FileReport(where, "unchanged", warnings=list(loaded.warnings))
        return _Loaded(path, report, [(a, self.chunker.split(a)) for a in loaded.articles])

    def _stream(self, path: Path, shown: str, report: FileReport) -> Iterator[_Loaded | int]:
        """A JSONL file as slices of about `batch_chunks` chunks, read line by line; between
        them, ints: the bytes read so far (progress). The last slice has `last` set."""
        items: list[tuple[Article, list[Chunk]]] = []
        chunks = 0
        read = 0

        def bytes_read(offset: int) -> None:
            nonlocal read
            read = offset

        try:
            for article in stream_jsonl(path, shown, report.warnings, on_bytes=bytes_read):
                pieces = self.chunker.split(article)
                items.append((article, pieces))
                chunks += len(pieces)
                if chunks >= self.batch_chunks:
                    yield read
                    yield _Loaded(path, report, items, last=False)
                    items, chunks = [], 0
        except LoadError as exc:
            report.status, report.reason = "failed", str(exc)
        except OSError as exc:  # the file vanished or the disk failed mid-read: keep what is stored
            report.status, report.reason = "failed", f"reading stopped: {exc.strerror or exc}"
        yield read
        if report.status != "failed" and not items and not report.articles:
            report.status = "failed"
            report.reason = "; ".join(report.warnings[:5]) or "no article text found"
        yield _Loaded(path, report, items if report.status != "failed" else [], last=True, size=_size(path))

    def _store(self, pending: list[_Loaded], seen: dict[str, set[str]]) -> None:
        """Store the articles of several files in one call; when that fails, file by file, so
        a store failure on one file does not lose the others."""
        stored = [loaded for loaded in pending if loaded.report.status not in ("failed", "skipped")]
        try:
            counts = self.store.upsert_articles([item for loaded in stored for item in loaded.items])
        except StoreUnavailableError:
            raise  # the engine is away: every other file would fail the same way; run again once it is back
        except Exception:
            if len(stored) == 1:
                self._failed(stored[0])
                return
            logger.warning("storing %d files together failed; storing them one by one", len(stored))
            for loaded in stored:
                try:
                    self._settle(loaded, self.store.upsert_articles(loaded.items), seen)
                except StoreUnavailableError:
                    raise
                except Exception:
                    self._failed(loaded)
            return
        for loaded in stored:
            self._settle(loaded, counts, seen)

    @staticmethod
    def _settle(loaded: _Loaded, counts: dict[str, tuple[int, int]], seen: dict[str, set[str]]) -> None:
        """Add a stored file (or slice) to its file's report."""
        report = loaded.report
        ids = {article.id for article, _ in loaded.items}
        report.articles += len(loaded.items)
        report.chunks_added += sum(counts.get(i, (0, 0))[0] for i in ids)
        report.chunks_deleted += sum(counts.get(i, (0, 0))[1] for i in ids)
        seen.setdefault(str(loaded.path.resolve()), set()).update(ids)
        if report.chunks_deleted:
            report.status = "updated"
        elif report.chunks_added:
            report.status = "indexed"

    @staticmethod
    def _failed(loaded: _Loaded) -> None:
        logger.exception("storing %s failed", loaded.path)
        exc = sys.exc_info()[1]
        loaded.report.status = "failed"
        loaded.report.reason = f"could not store: {exc.__class__.__name__}: {exc}"

    def ingest_articles(self, articles: Iterable[Article], *, batch_chunks: int | None = None,
                        on_batch: Callable[[int], None] | None = None,
                        on_stored: Callable[[dict[str, tuple[int, int]]], None] | None = None) -> tuple[int, int]:
        """Store articles that did not come from files (evaluation data, feeds), in batches.

        Returns (chunks added, chunks deleted); `on_batch` gets the number of articles done;
        `on_stored`, when given, gets each batch's (added, deleted) chunks per article id (a
        per-item report, as web sources give: it costs two record-manager reads per article).
        """
        batch_chunks = batch_chunks or self.batch_chunks
        added = deleted = 0
        batch: list[tuple[Article, list]] = []
        size = 0

        def flush() -> None:
            nonlocal added, deleted, batch, size
            if batch:
                if on_stored is None:
                    a, d = self.store.upsert_many(batch)
                else:
                    counts = self.store.upsert_articles(batch)
                    on_stored(counts)
                    a, d = sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())
                added, deleted = added + a, deleted + d
                if on_batch:
                    on_batch(len(batch))
                batch, size = [], 0

        for article in articles:
            chunks = self.chunker.split(article)
            batch.append((article, chunks))
            size += len(chunks)
            if size >= batch_chunks:
                flush()
        flush()
        if added or deleted:
            self.store.sync_keywords()
        return added, deleted

    def _prune(self, roots: list[Path], seen: dict[str, set[str]]) -> list[str]:
        seen = {path: ids for path, ids in seen.items() if ids}
        resolved = [root.resolve() for root in roots]
        pruned = []
        for info in self.store.articles():
            if not info.path:
                continue
            path = Path(info.path)
            if not any(path == root or root in path.parents for root in resolved):
                continue
            gone = not path.exists()
            dropped = str(path) in seen and info.id not in seen[str(path)]
            if gone or dropped:
                self.store.delete_article(info.id, sync=False)
                pruned.append(info.id)
        return pruned


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0
