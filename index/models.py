"""Typed records that cross the boundaries of the `index` package."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from index.pages import page_in_chunk


def public_source(source: str) -> str:
    """What a reader may be shown as a source: a URL or a relative name as it is, an absolute
    file path (an index built before sources were made relative) cut to its file name, so
    that no public answer or listing reveals the server's folders."""
    if source.startswith(("/", "\\")) or (len(source) > 2 and source[1] == ":" and source[2] in "\\/"):
        return source.replace("\\", "/").rsplit("/", 1)[-1]
    return source


@dataclass(frozen=True)
class Article:
    """One news article, normalized and ready to chunk.

    `source` is what a reader can follow: the URL when there is one, else the file's path
    relative to the folder it was ingested from (never the server's absolute path); `path`
    is the file it was loaded from (absolute), for pruning and for administrators.
    """

    id: str
    title: str
    text: str
    source: str
    date: str | None = None  # ISO 8601 date, YYYY-MM-DD
    url: str | None = None
    path: str | None = None
    author: str | None = None  # where the source names one (web pages, feeds)
    # Where each page starts in `text`, page 1 first (PDF); empty for sources without pages.
    pages: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A contiguous span `article.text[start:end]` made of whole sentences."""

    article_id: str
    ordinal: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ArticleInfo:
    """What the index knows about one stored article."""

    id: str
    title: str
    source: str
    date: str | None
    url: str | None
    path: str | None
    chunks: int
    author: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def public_dict(self) -> dict[str, Any]:
        """What any reader may see: no server path."""
        return {"id": self.id, "title": self.title, "date": self.date, "source": public_source(self.source),
                "url": self.url, "chunks": self.chunks}


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its article's metadata and a relevance score in [-1, 1]."""

    article_id: str
    title: str
    source: str
    date: str | None
    url: str | None
    text: str
    start: int
    end: int
    ordinal: int
    score: float  # cosine similarity of the chunk to the query
    chunk_id: str = ""
    keyword: float = 0.0  # BM25 score, 0 when keyword search did not find it
    page: int | None = None  # the page `text` starts on (PDF sources; see index.pages)
    page_breaks: tuple[int, ...] = ()  # offsets in `text` where a later page starts

    def page_at(self, offset: int) -> int | None:
        """The page that `text[offset]` is on; None for sources without pages."""
        return page_in_chunk(self.page, self.page_breaks, offset)


@dataclass
class FileReport:
    """The outcome of ingesting one file."""

    path: str
    status: str  # indexed | updated | unchanged | skipped | failed
    reason: str = ""
    articles: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestProgress:
    """How far an ingestion is: files and bytes done of the total, articles stored."""

    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0  # bytes of the files finished
    articles: int = 0
    streaming: int = 0  # bytes read so far of a big file still being read

    def moved(self, streaming: int) -> IngestProgress:
        self.streaming = streaming
        return self

    @property
    def bytes(self) -> int:
        return self.bytes_done + self.streaming


@dataclass
class IngestReport:
    """The outcome of one ingestion run, per file, plus what pruning removed."""

    files: list[FileReport] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # article ids removed by --prune

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.files)

    @property
    def chunks_added(self) -> int:
        return sum(f.chunks_added for f in self.files)

    @property
    def chunks_deleted(self) -> int:
        return sum(f.chunks_deleted for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "pruned": list(self.pruned),
            "summary": {
                s: self.count(s) for s in ("indexed", "updated", "unchanged", "skipped", "failed")
            },
            "chunks_added": self.chunks_added,
            "chunks_deleted": self.chunks_deleted,
        }
