"""Writing chunks through LangChain's indexing API, whose record manager keeps writes idempotent.

Chunks are written with `index()` and a `SQLRecordManager`, grouped by `article_id`: unchanged
chunks are skipped, a changed article has its old chunks removed, and an interrupted run is
completed by the next one without duplicates (ids are content hashes, so a repeated write is
an upsert). The vector store (`index.storage.vectorstore`) embeds and stores what `index()` hands it.

Each stored document is the article's title, a blank line, then the chunk: the title takes
part in both dense and keyword matching (a chunk rarely names its own subject), and the
`prefix` metadata says where the chunk's own text starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_classic.indexes import SQLRecordManager, index
from langchain_core.documents import Document

from index.loading.dates import date_ordinal
from index.errors import ArticleNotFoundError
from index.models import Article, Chunk
from index.pages import chunk_page_metadata
from index.storage.vectorstore import ChunkVectorStore


class ChunkWriter:
    """Adds, replaces and deletes articles' chunks in the vector store and the record manager.

    Args:
        vectorstore: Where the chunks go.
        records: The record manager: which chunk ids each article has, and when written.
        on_change: Called after every write that changed chunks (to tell other processes).
    """

    def __init__(self, vectorstore: ChunkVectorStore, records: SQLRecordManager,
                 on_change: Callable[[], None]) -> None:
        self.vectorstore = vectorstore
        self.records = records
        self.on_change = on_change

    def upsert_many(self, batch: list[tuple[Article, list[Chunk]]]) -> tuple[int, int]:
        """Make the stored chunks of each article exactly its chunks; return (added, deleted).

        Several articles go in one indexing call: Chroma costs some 14 ms a write call whatever
        its size, so many small articles are stored far faster together.
        """
        docs = [Document(page_content=f"{article.title}\n\n{c.text}",
                         metadata=chunk_metadata(article, c, len(chunks)))
                for article, chunks in batch for c in chunks]
        # One batch per call: index() cleans up after every batch, so an article whose chunks
        # straddled two batches would have its unchanged chunks deleted and embedded again.
        # (The embedder still embeds in its own batch_size.)
        result = index(docs, self.records, self.vectorstore, cleanup="incremental",
                       source_id_key="article_id", key_encoder="sha256", batch_size=max(1, len(docs)))
        added, deleted = result["num_added"] + result["num_updated"], result["num_deleted"]
        if added or deleted:
            self.on_change()
        return added, deleted

    def upsert_articles(self, batch: list[tuple[Article, list[Chunk]]]) -> dict[str, tuple[int, int]]:
        """`upsert_many`, with (added, deleted) chunks per article id, read from the record manager."""
        ids = list(dict.fromkeys(article.id for article, _ in batch))
        before = {i: set(self.records.list_keys(group_ids=[i])) for i in ids}
        self.upsert_many(batch)
        after = {i: set(self.records.list_keys(group_ids=[i])) for i in ids}
        return {i: (len(after[i] - before[i]), len(before[i] - after[i])) for i in ids}

    def delete_article(self, article_id: str) -> int:
        """Remove every chunk of one article; return how many were removed."""
        keys = self.records.list_keys(group_ids=[article_id])
        if not keys:
            raise ArticleNotFoundError(f"no indexed article has id {article_id!r}")
        self.vectorstore.delete(ids=keys)
        self.records.delete_keys(keys)
        self.on_change()
        return len(keys)

    def forget_all(self) -> None:
        """Drop every record (when the collection itself is dropped), in pages."""
        keys = self.records.list_keys()
        for start in range(0, len(keys), 1000):
            self.records.delete_keys(keys[start:start + 1000])


def chunk_metadata(article: Article, chunk: Chunk, total: int) -> dict[str, Any]:
    """A stored chunk's metadata (Chroma refuses None values, so absent fields are left out)."""
    meta: dict[str, Any] = {
        "article_id": article.id, "title": article.title, "source": article.source,
        "ordinal": chunk.ordinal, "start": chunk.start, "end": chunk.end,
        "date": article.date, "date_ord": date_ordinal(article.date),
        "url": article.url, "path": article.path, "prefix": len(article.title) + 2,
        "author": article.author,
    }
    if chunk.ordinal == 0:
        meta["chunks"] = total  # only on the first chunk, so listing articles is one query
    meta.update(chunk_page_metadata(article.pages, chunk.start, chunk.end))  # PDF pages; nothing otherwise
    return {k: v for k, v in meta.items() if v is not None}
