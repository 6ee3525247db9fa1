"""Files and folders -> stored chunks, with a per-file report.

A bad file is reported (skipped or failed, with the reason) and the batch goes on. Pruning
removes articles whose file is gone, or that a re-read file no longer contains; articles of a
file that failed to load this time are kept, so a transient error loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from index.chunk import SentenceChunker
from index.errors import LoadError, UnsupportedFileError
from index.load import iter_files, load_file
from index.models import Article, FileReport, IngestReport
from index.store import ArticleStore

logger = logging.getLogger(__name__)

Progress = Callable[[FileReport], None]


class Ingestor:
    """Loads, chunks and stores articles.

    Args:
        store: Where the chunks go.
        chunker: How articles are cut into chunks.
    """

    def __init__(self, store: ArticleStore, chunker: SentenceChunker) -> None:
        self.store = store
        self.chunker = chunker

    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False,
               on_file: Progress | None = None, on_start: Callable[[int], None] | None = None) -> IngestReport:
        """Ingest every supported file under `paths`.

        Args:
            paths: Files and folders; folders are walked recursively.
            prune: Also remove stored articles under `paths` whose file is gone.
            on_file: Called with each file's report as soon as it is done (progress display).
            on_start: Called once with the number of files found.
        """
        paths = [Path(p).expanduser() for p in paths]
        files = list(iter_files(paths))
        if on_start:
            on_start(len(files))
        report = IngestReport()
        seen: dict[str, set[str]] = {}  # resolved file path -> ids of the articles it holds now
        for path, explicit in files:
            file_report = self._ingest_file(path, explicit, seen)
            report.files.append(file_report)
            if on_file:
                on_file(file_report)
        if prune:
            report.pruned = self._prune(paths, seen)
        if report.chunks_added or report.chunks_deleted or report.pruned:
            self.store.sync_keywords()
        return report

    def _ingest_file(self, path: Path, explicit: bool, seen: dict[str, set[str]]) -> FileReport:
        shown = str(path)
        try:
            loaded = load_file(path)
        except UnsupportedFileError as exc:
            # Named on the command line: the user meant it, so it failed. Met in a folder: skipped.
            return FileReport(shown, "failed" if explicit else "skipped", str(exc))
        except LoadError as exc:
            return FileReport(shown, "failed", str(exc))
        report = FileReport(shown, "unchanged", warnings=list(loaded.warnings))
        ids: set[str] = set()
        try:
            added, deleted = self.store.upsert_many([(a, self.chunker.split(a)) for a in loaded.articles])
            ids.update(a.id for a in loaded.articles)
            report.articles = len(loaded.articles)
            report.chunks_added, report.chunks_deleted = added, deleted
        except Exception as exc:  # a store failure on one file must not lose the rest
            logger.exception("storing %s failed", path)
            report.status, report.reason = "failed", f"could not store: {exc.__class__.__name__}: {exc}"
            return report
        seen[str(path.resolve())] = ids
        if report.chunks_deleted:
            report.status = "updated"
        elif report.chunks_added:
            report.status = "indexed"
        return report

    def ingest_articles(self, articles: Iterable[Article], *, batch_chunks: int = 256,
                        on_batch: Callable[[int], None] | None = None) -> tuple[int, int]:
        """Store articles that did not come from files (evaluation data, feeds), in batches.

        Returns (chunks added, chunks deleted); `on_batch` gets the number of articles done.
        """
        added = deleted = 0
        batch: list[tuple[Article, list]] = []
        size = 0

        def flush() -> None:
            nonlocal added, deleted, batch, size
            if batch:
                a, d = self.store.upsert_many(batch)
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
