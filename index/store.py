"""The Chroma collection and the LangChain record manager that keeps it idempotent.

Chunks are written through LangChain's indexing API (`index.writer`): unchanged chunks are
skipped, a changed article has its old chunks removed, an interrupted run is completed by the
next one without duplicates.

The collection's metadata records the embedding model and its dimension (`index.collection`);
opening it with another model raises `EmbeddingMismatchError`. It also holds a
`generation` token that every write replaces: processes sharing one Chroma server (several
`qa serve` hosts, uvicorn workers) compare it before keyword searches, at most every
`check_interval_s`, and rebuild their local keyword index when another process wrote.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import numpy as np
from langchain_classic.indexes import SQLRecordManager

from index.chroma_client import embedded_client, server_client
from index.collection import (DIM_KEY, GET_PAGE, MODEL_KEY, check_model, existing_model, find_collection, get_all,
                              get_ids, open_collection, stored_articles)
from index.dates import date_ordinal
from index.embed import Embedder
from index.keyword import KeywordIndex, ids_signature
from index.models import Article, ArticleInfo, Chunk, Hit
from index.sentences import SentenceStore, embed_chunks, quantize
from index.text import sentence_spans
from index.vectorstore import ChunkVectorStore
from index.writer import ChunkWriter

logger = logging.getLogger(__name__)

GENERATION_KEY = "generation"
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
        self.writer = ChunkWriter(self.vectorstore, self.records, on_change=self._bump_generation)
        self.keywords = KeywordIndex(data_dir / f"{collection}.keywords")
        self.check_interval_s = check_interval_s
        self._checked_at = time.monotonic()
        self._check_lock = threading.Lock()
        self._generation: str | None = None
        self._generation = self._read_generation()  # read before syncing: a later write is seen next time
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
        self._bump_generation()
        self.sync_keywords()

    # -- other processes' writes -------------------------------------------------------
    def refresh(self) -> bool:
        """Catch up with the writes of other processes sharing the collection.

        Looks at the collection's generation at most every `check_interval_s` (one small
        request) and rebuilds the keyword index when it changed; follows a collection that
        another process rebuilt. Returns True when the keyword index was rebuilt.
        """
        if time.monotonic() - self._checked_at < self.check_interval_s:
            return False
        if not self._check_lock.acquire(blocking=False):
            return False  # another thread is looking right now
        try:
            self._checked_at = time.monotonic()
            current = self._current_collection()
            if current is None:
                return False
            if current.id != self.collection.id:  # rebuilt by another process (`qa reindex`)
                self._check_model()
                self._reopen_collection()
            generation = (current.metadata or {}).get(GENERATION_KEY)
            if generation == self._generation:
                return False
            rebuilt = self.sync_keywords()
            self._generation = generation  # only once caught up: a failed rebuild is retried
            return rebuilt
        finally:
            self._check_lock.release()

    def _current_collection(self) -> chromadb.Collection | None:
        return find_collection(self.client, self.collection_name)

    def _read_generation(self) -> str | None:
        current = self._current_collection()
        return self._generation if current is None else (current.metadata or {}).get(GENERATION_KEY)

    def _bump_generation(self) -> None:
        """Tell the other processes that the chunks changed; call after the write itself."""
        current = self._current_collection()
        if current is None:
            return
        # A fresh random token, not a counter: two writers incrementing the same number at
        # once would publish one value for two writes. modify() replaces the whole metadata,
        # so the model and dimension keys are carried over (the hnsw configuration is kept).
        token = uuid.uuid4().hex
        current.modify(metadata={**(current.metadata or {}), GENERATION_KEY: token})
        self._generation = token

    def sync_keywords(self) -> bool:
        """Bring the keyword index to exactly the collection's chunks; True when it changed.

        Only chunks it lacks are read from Chroma and tokenized, so adding one article to a
        large index costs a BM25 build from token ids, not a pass over every text. Call after
        every write (ingestion does).
        """
        ids = self._get_all([])["ids"]
        if ids_signature(ids) == self.keywords.signature and (self.keywords.can_update or not ids):
            return False
        if self.keywords.can_update:
            known, now = set(self.keywords.ids), set(ids)
            added = [i for i in ids if i not in known]
            got = self._get_ids(added, ["documents", "metadatas"])
            self.keywords.update(got["ids"], got["documents"], [m.get("date_ord") for m in got["metadatas"]],
                                 self._chunk_vectors(got["ids"]), removed=known - now)
        else:  # first build, or an index from before incremental updates
            got = self._get_all(["documents", "metadatas"])
            self.keywords.build(got["ids"], got["documents"], [m.get("date_ord") for m in got["metadatas"]],
                                self._chunk_vectors(got["ids"]))
        logger.info("keyword index now holds %d chunks (%d read)", len(self.keywords.ids), len(got["ids"]))
        return True

    def _get_ids(self, ids: list[str], include: list[str]) -> dict[str, list]:
        return get_ids(self.collection, ids, include)

    def _get_all(self, include: list[str], where: dict[str, Any] | None = None) -> dict[str, list]:
        # GET_PAGE is this module's name, looked up at each call (tests shrink it).
        return get_all(self.collection, include, where, page=GET_PAGE)

    def _chunk_vectors(self, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The chunks' own vectors as int8 (codes, scales): from the local sentence store, and
        from Chroma for chunks another process wrote."""
        found, codes, scales = self.sentences.chunk_vectors(ids)
        missing = np.flatnonzero(~found)
        for start in range(0, len(missing), 1000):
            rows = missing[start:start + 1000]
            got = self.collection.get(ids=[ids[r] for r in rows], include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
            vectors = np.asarray([by_id[ids[r]] for r in rows], dtype=np.float32)
            part_scales, part_codes = quantize(vectors)
            scales[rows] = np.frombuffer(part_scales, dtype=np.float32)
            codes[rows] = np.frombuffer(part_codes, dtype=np.int8).reshape(len(rows), -1)
        return codes, scales

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
