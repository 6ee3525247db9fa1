"""The Chroma collection and the LangChain record manager that keeps it idempotent.

Chunks are written through LangChain's indexing API (`index.writer`): unchanged chunks are
skipped, a changed article has its old chunks removed, an interrupted run is completed by the
next one without duplicates.

The collection's metadata records the embedding model and its dimension (`index.collection`);
opening it with another model raises `EmbeddingMismatchError`. It also holds a
`generation` token that every write replaces, so that processes sharing one Chroma server
rebuild their local keyword index when another process wrote (`index.sync`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import numpy as np
from langchain_classic.indexes import SQLRecordManager

from index.chroma_client import embedded_client, server_client
from index.collection import (DIM_KEY, GET_PAGE, MODEL_KEY, check_model, existing_model, get_all, open_collection,
                              stored_articles)
from index.dates import date_ordinal
from index.embed import Embedder
from index.keyword import KeywordIndex
from index.models import Article, ArticleInfo, Chunk, Hit
from index.sentences import SentenceStore, embed_chunks
from index.sync import GENERATION_KEY, CrossProcessSync
from index.text import sentence_spans
from index.vectorstore import ChunkVectorStore
from index.writer import ChunkWriter

logger = logging.getLogger(__name__)

# Date-filtered dense search (see `ArticleStore.search_dated`): ranges holding at least this
# share of the chunks over-fetch from the unfiltered index, by this factor.
BROAD_SHARE = 0.1
OVERFETCH = 2.0


class ArticleStore:
    """Stored, searchable chunks of articles.

    Args:
        client: A Chroma client (embedded `PersistentClient` or `HttpClient`).
        embedder: The process's one embedding model.
        data_dir: Folder of the files kept beside the collection: the record manager's
            database (unless `records_db` names another), the keyword index, the sentence vectors.
        collection: Chroma collection name (at least 3 characters).
        check_model: Raise `EmbeddingMismatchError` when the collection was built with another
            model. Only a rebuild (`reset()` right after) should turn this off.
        records_db: SQLAlchemy URL of the record manager's database.
        check_interval_s: Least time between two looks at the collection's generation before
            a keyword search (0: every search); see `refresh`.

    Example:
        >>> store = ArticleStore(embedded_client(Path("data/chroma")), embedder, data_dir=Path("data"))
        >>> store.upsert(article, chunks)
        >>> store.search(embedder.embed_query("missiles"), k=5)
    """

    def __init__(self, client: chromadb.ClientAPI, embedder: Embedder, *, data_dir: Path,
                 collection: str = "articles", check_model: bool = True, records_db: str | None = None,
                 check_interval_s: float = 2.0) -> None:
        self.client = client
        self.embedder = embedder
        self.collection_name = collection
        data_dir.mkdir(parents=True, exist_ok=True)
        if check_model:
            self._check_model()
        self.sentences = SentenceStore(data_dir / f"{collection}.sentences.sqlite", embedder.dimension)
        self.vectorstore = ChunkVectorStore(open_collection(client, collection, embedder), client=client,
                                            embedder=embedder, sentences=self.sentences)
        self.records = SQLRecordManager(namespace=f"chroma/{collection}",
                                        db_url=records_db or f"sqlite:///{data_dir / 'records.sqlite'}")
        self.records.create_schema()
        self.keywords = KeywordIndex(data_dir / f"{collection}.keywords")
        self.sync = CrossProcessSync(client, collection, self.vectorstore, self.keywords, self.sentences,
                                     on_rebuilt=self._follow_rebuild, check_interval_s=check_interval_s,
                                     page=GET_PAGE)
        self.writer = ChunkWriter(self.vectorstore, self.records, on_change=self.sync.bump_generation)
        self.sync_keywords()

    # -- opening -----------------------------------------------------------------------
    @property
    def collection(self) -> chromadb.Collection:
        """The Chroma collection now written to and read from (the vector store holds it)."""
        return self.vectorstore.collection

    def existing_model(self) -> tuple[str | None, int | None]:
        """The model and dimension recorded in the collection, or (None, None) when new."""
        return existing_model(self.client, self.collection_name)

    def _check_model(self) -> None:
        check_model(self.client, self.collection_name, self.embedder)

    def _reopen_collection(self) -> None:
        """Write to and read from the collection as it is now (after it was recreated)."""
        self.vectorstore.collection = open_collection(self.client, self.collection_name, self.embedder)

    def _follow_rebuild(self) -> None:
        """Another process recreated the collection (`qa reindex`): check its model, then use it."""
        self._check_model()
        self._reopen_collection()

    @property
    def check_interval_s(self) -> float:
        """Least time between two looks at the collection's generation (see `refresh`)."""
        return self.sync.check_interval_s

    @check_interval_s.setter
    def check_interval_s(self, seconds: float) -> None:
        self.sync.check_interval_s = seconds

    # -- writing -----------------------------------------------------------------------
    def upsert(self, article: Article, chunks: list[Chunk]) -> tuple[int, int]:
        """Make the stored chunks of `article` exactly `chunks`; return (added, deleted)."""
        return self.upsert_many([(article, chunks)])

    def upsert_articles(self, batch: list[tuple[Article, list[Chunk]]]) -> dict[str, tuple[int, int]]:
        """`upsert_many`, with (added, deleted) chunks per article id, read from the record manager."""
        return self.writer.upsert_articles(batch)

    def upsert_many(self, batch: list[tuple[Article, list[Chunk]]]) -> tuple[int, int]:
        """`upsert` for several articles in one indexing call (far faster for small articles)."""
        return self.writer.upsert_many(batch)

    def delete_article(self, article_id: str, *, sync: bool = True) -> int:
        """Remove every chunk of one article; return how many were removed.

        `sync=False` leaves the keyword index to one `sync_keywords()` after a batch.
        """
        removed = self.writer.delete_article(article_id)
        if sync:
            self.sync_keywords()
        return removed

    def reset(self) -> None:
        """Drop every chunk and record, and recreate the collection for the current model."""
        try:
            self.client.delete_collection(self.collection_name)
        except Exception:  # already absent
            pass
        self.writer.forget_all()
        self.sentences.clear()
        self._reopen_collection()
        self.sync.bump_generation()
        self.sync_keywords()

    # -- other processes' writes -------------------------------------------------------
    def refresh(self) -> bool:
        """Catch up with the writes of other processes sharing the collection: at most every
        `check_interval_s`, rebuild the keyword index when another process wrote. Returns True
        when it was rebuilt."""
        return self.sync.refresh()

    def sync_keywords(self) -> bool:
        """Bring the keyword index to exactly the collection's chunks; True when it changed.
        Call after every write (ingestion does)."""
        return self.sync.sync_keywords()

    def _get_all(self, include: list[str], where: dict[str, Any] | None = None) -> dict[str, list]:
        """Every matching record of the collection, read in pages."""
        # GET_PAGE is looked up in this module at each call (tests shrink it).
        return get_all(self.collection, include, where, page=GET_PAGE)

    # -- reading -----------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def articles(self) -> list[ArticleInfo]:
        """Every stored article, newest first."""
        return stored_articles(self.collection, page=GET_PAGE)

    def search(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` chunks nearest to `vector`, best first; `where` is a Chroma metadata filter."""
        self.refresh()  # follows a collection another process rebuilt (`qa reindex`)
        if k <= 0 or self.count() == 0:
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

    def sentence_vectors(self, hits: list[Hit]) -> list[np.ndarray]:
        """The stored sentence vectors of each hit, one row per `sentence_spans(hit.text)`."""
        return [vectors for vectors, _ in self.sentence_evidence(hits)]

    def sentence_evidence(self, hits: list[Hit]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each hit's stored (sentence vectors, token codes), see `index.sentences`.

        A chunk stored before its sentences (an interrupted write), or before token vectors were
        kept (an older index), has them computed and stored now, so the answer never lacks them.
        """
        stored = self.sentences.read([h.chunk_id for h in hits])
        missing = [h for h in hits if h.chunk_id not in stored or stored[h.chunk_id][1] is None
                   or len(stored[h.chunk_id][0]) != len(sentence_spans(h.text) or [(0, 0)])]
        if missing:
            missing = list({h.chunk_id: h for h in missing}.values())
            chunk_vectors, computed, tokens = embed_chunks(self.embedder.encode_tokens, [h.title for h in missing],
                                                           [h.text for h in missing])
            self.sentences.put([h.chunk_id for h in missing], computed, chunk_vectors, tokens)
            stored.update({h.chunk_id: (v, t) for h, v, t in zip(missing, computed, tokens, strict=True)})
        return [stored[h.chunk_id] for h in hits]  # type: ignore[misc]


def date_where(since: str | None, until: str | None) -> dict[str, Any] | None:
    """A Chroma `where` clause keeping articles published in [since, until] (ISO dates)."""
    clauses = [{"date_ord": {op: date_ordinal(value)}} for op, value in (("$gte", since), ("$lte", until)) if value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _hit(chunk_id: str, document: str, meta: dict[str, Any], score: float) -> Hit:
    return Hit(article_id=meta["article_id"], title=meta.get("title", ""), source=meta.get("source", ""),
               date=meta.get("date"), url=meta.get("url"), text=document[int(meta.get("prefix", 0)):],
               start=int(meta["start"]), end=int(meta["end"]), ordinal=int(meta["ordinal"]), score=score,
               chunk_id=chunk_id)
