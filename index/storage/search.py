"""Searching the stored chunks: dense, dense within a publication date range, keyword (BM25),
and chunks by id scored against a query vector.

Dense search is Chroma's (cosine space: a score is 1 - distance, the cosine similarity); the
keyword index, the publication dates and int8 chunk vectors kept beside it are this process's
(`index.storage.keyword`), so every search first catches up with other processes' writes (`refresh`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import chromadb
import chromadb.errors
import numpy as np

from index.loading.dates import date_ordinal
from index.storage.keyword import KeywordIndex
from index.models import Hit
from index.pages import pages_from_metadata
from index.embedding.sentences import SentenceStore
from index.storage.vectorstore import ChunkVectorStore

logger = logging.getLogger(__name__)

# Date-filtered dense search (see `ChunkSearch.search_dated`): ranges holding at least this
# share of the chunks over-fetch from the unfiltered index, by this factor.
BROAD_SHARE = 0.1
OVERFETCH = 2.0


class ChunkSearch:
    """The searches of `ArticleStore`.

    Args:
        vectorstore: Holds the collection searched (replaced when it is recreated).
        keywords: This process's keyword index, with the chunks' dates and int8 vectors.
        sentences: The local sentence store (chunk vectors when Chroma cannot give them).
        refresh: Catches up with other processes' writes; called before each search.
    """

    def __init__(self, vectorstore: ChunkVectorStore, keywords: KeywordIndex, sentences: SentenceStore,
                 refresh: Callable[[], bool]) -> None:
        self.vectorstore = vectorstore
        self.keywords = keywords
        self.sentences = sentences
        self.refresh = refresh

    @property
    def collection(self) -> chromadb.Collection:
        return self.vectorstore.collection

    def search(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` chunks nearest to `vector`, best first; `where` is a Chroma metadata filter."""
        self.refresh()  # follows a collection another process rebuilt (`qa reindex`)
        if k <= 0:  # an empty collection answers a query with no hits (Chroma 1.x): no count() first, 4 ms
            return []
        found = self.collection.query(query_embeddings=[vector], n_results=k, where=where,
                                      include=["documents", "metadatas", "distances"])
        return [_hit(i, doc, meta, 1.0 - float(distance)) for i, doc, meta, distance in
                zip(found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0],
                    strict=True)]

    def date_share(self, since: str | None, until: str | None) -> float:
        """The share of chunks published in [since, until] (1.0 without bounds)."""
        keep = self.keywords.date_mask(date_ordinal(since), date_ordinal(until))
        return 1.0 if keep is None or len(keep) == 0 else float(keep.mean())

    def search_dated(self, vector: np.ndarray, k: int, since: str | None, until: str | None) -> list[Hit]:
        """`search` within a publication date range, without Chroma's metadata filter.

        Chroma's `where` costs 40-100 ms at 10k chunks whatever the range (measured by
        `make bench`), against about 1 ms unfiltered. So: a range holding a large share of the
        chunks is served by an unfiltered search deep enough to leave `k` of them; a narrow one
        by exact search over just its chunks' int8 vectors, kept beside the keyword index.
        """
        self.refresh()  # the dates and vectors beside the keyword index may lag other processes' writes
        keep = self.keywords.date_mask(date_ordinal(since), date_ordinal(until))
        if keep is None:
            return self.search(vector.tolist(), k)
        rows = np.flatnonzero(keep)
        if len(rows) == 0 or k <= 0:
            return []
        share = len(rows) / len(keep)
        if share >= BROAD_SHARE:
            depth = min(len(keep), int(np.ceil(k / share * OVERFETCH)))
            found = self.collection.query(query_embeddings=[vector.tolist()], n_results=depth, include=["distances"])
            inside = [(i, 1.0 - float(d)) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)
                      if (p := self.keywords.position(i)) is not None and keep[p]][:k]
            if len(inside) >= min(k, len(rows)):
                return self._scored_hits(inside)
        if self.keywords.has_vectors:
            return self._scored_hits(self.keywords.nearest(rows, vector, k))
        return self.search(vector.tolist(), k, date_where(since, until))  # slow, but never wrong

    def _scored_hits(self, scored: list[tuple[str, float]]) -> list[Hit]:
        if not scored:
            return []
        got = self.collection.get(ids=[i for i, _ in scored], include=["documents", "metadatas"])
        by_id = {i: (doc, meta) for i, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        return [_hit(i, *by_id[i], score) for i, score in scored if i in by_id]

    def keyword_search(self, query: str, k: int, since: str | None = None,
                       until: str | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25, optionally within a publication date range."""
        self.refresh()  # the local BM25 index may lag behind other processes' writes
        return self.keywords.search(query, k, date_ordinal(since), date_ordinal(until))

    def hits(self, ids: list[str], vector: np.ndarray) -> list[Hit]:
        """Chunks by id, scored by cosine similarity to `vector`, in the order of `ids`."""
        if not ids:
            return []
        try:
            got = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
            embeddings = [np.asarray(e, dtype=np.float32) for e in got["embeddings"]]
        except chromadb.errors.ChromaError as exc:
            # Embedded Chroma in a process that did not write: chunks another process just
            # stored are in its SQLite but not yet in this process's vector segment ("Error
            # finding id"). Their text is readable; their vectors are in the sentence store.
            logger.info("reading vectors of chunks written by another process from the sentence store (%s)", exc)
            got = self.collection.get(ids=ids, include=["documents", "metadatas"])
            codes, scales = self._chunk_vectors_local(got["ids"])
            embeddings = list(codes.astype(np.float32) * scales[:, None])
        by_id = {i: (doc, meta, emb) for i, doc, meta, emb in
                 zip(got["ids"], got["documents"], got["metadatas"], embeddings, strict=True)}
        return [_hit(i, by_id[i][0], by_id[i][1], float(by_id[i][2] @ vector)) for i in ids if i in by_id]

    def _chunk_vectors_local(self, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The chunks' own vectors from the sentence store only (zeros where it has none)."""
        _, codes, scales = self.sentences.chunk_vectors(ids)
        return codes, scales


def date_where(since: str | None, until: str | None) -> dict[str, Any] | None:
    """A Chroma `where` clause keeping articles published in [since, until] (ISO dates)."""
    clauses = [{"date_ord": {op: date_ordinal(value)}} for op, value in (("$gte", since), ("$lte", until)) if value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _hit(chunk_id: str, document: str, meta: dict[str, Any], score: float) -> Hit:
    page, page_breaks = pages_from_metadata(meta)
    return Hit(article_id=meta["article_id"], title=meta.get("title", ""), source=meta.get("source", ""),
               date=meta.get("date"), url=meta.get("url"), text=document[int(meta.get("prefix", 0)):],
               start=int(meta["start"]), end=int(meta["end"]), ordinal=int(meta["ordinal"]), score=score,
               chunk_id=chunk_id, page=page, page_breaks=page_breaks)
