"""The articles side of an assistant: ingest, re-index and delete, one writer at a time (in this
process, and across the processes sharing the data directory)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from index.errors import IndexBusyError
from index.ingest import Ingestor
from index.lock import writer_lock
from index.loading.chunk import SentenceChunker
from index.models import Article, FileReport, IngestProgress, IngestReport
from index.storage.store import ArticleStore


class Library:
    """Writes to one index (`store`, cut by `chunker`) under the data directory's writer lock."""

    def __init__(self, store: ArticleStore, chunker: SentenceChunker, data_dir: Path) -> None:
        self.store, self.chunker, self.data_dir = store, chunker, data_dir
        self._write_lock = threading.Lock()  # one ingestion at a time per process

    @contextlib.contextmanager
    def writing(self, wait_s: float = 0.0) -> Iterator[None]:
        """One writer at a time: in this process (a thread lock), and across the processes
        sharing the data directory (`index.lock.writer_lock`; `IndexBusyError` after `wait_s`)."""
        if not self._write_lock.acquire(timeout=wait_s if wait_s > 0 else -1):
            raise IndexBusyError("another ingest in this process is still running")
        try:
            with writer_lock(self.data_dir, timeout_s=wait_s):
                yield
        finally:
            self._write_lock.release()

    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False,
               on_file: Callable[[FileReport], None] | None = None,
               on_start: Callable[[int], None] | None = None,
               on_progress: Callable[[IngestProgress], None] | None = None, wait_s: float = 0.0,
               root: str | Path | None = None) -> IngestReport:
        """Index the articles in `paths` (files or folders); see `Ingestor.ingest` (`root`: show
        sources relative to this folder, which every path must be in).

        Raises:
            IndexBusyError: Another process is writing to this index for longer than `wait_s`.
            ValueError: A path is not at or under `root`.
        """
        with self.writing(wait_s):
            return Ingestor(self.store, self.chunker).ingest(paths, prune=prune, on_file=on_file,
                                                             on_start=on_start, on_progress=on_progress, root=root)

    def ingest_articles(self, articles: Iterable[Article], *, wait_s: float = 0.0) -> tuple[int, int]:
        """Index articles that are not files (evaluation data, feeds); returns (added, deleted) chunks."""
        with self.writing(wait_s):
            return Ingestor(self.store, self.chunker).ingest_articles(articles)

    def delete_article(self, article_id: str, *, wait_s: float = 0.0) -> int:
        """Remove one article from the index; return the number of chunks removed."""
        with self.writing(wait_s):
            return self.store.delete_article(article_id)

    def reindex(self, on_file: Callable[[FileReport], None] | None = None,
                on_start: Callable[[int], None] | None = None,
                on_progress: Callable[[IngestProgress], None] | None = None, wait_s: float = 0.0) -> IngestReport:
        """Rebuild the whole index with the configured model from the articles' files."""
        with self.writing(wait_s):
            files = sorted({a.path for a in self.store.articles() if a.path})
            self.store.reset()
            report = Ingestor(self.store, self.chunker).ingest(files, on_file=on_file, on_start=on_start,
                                                               on_progress=on_progress)
        return report
