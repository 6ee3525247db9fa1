"""`ArticleStore`: one facade over the parts that keep articles' chunks stored and searchable.

Each part has one job and its own module:

- `index.storage.chroma_client`: Chroma clients (embedded files, or a Chroma server).
- `index.storage.collection`: the collection, opened for one embedding model; reads in pages.
- `index.storage.vectorstore`: LangChain's `VectorStore` over the collection, writing sentence vectors
  beside every chunk.
- `index.storage.writer`: writes through LangChain's `index()` and its record manager, idempotent.
- `index.storage.sync`: the generation token that tells other processes sharing the collection to
  rebuild their keyword index, and that rebuild.
- `index.storage.search`: dense, date-filtered and keyword search.
- `index.storage.evidence`: the sentence vectors of hits, filled in when a chunk lacks them.

`qa`, `ui` and the tests use the facade only; the names below stay importable from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from langchain_classic.indexes import SQLRecordManager

from index.storage.chroma_client import embedded_client, server_client
from index.storage.collection import (DIM_KEY, GET_PAGE, MODEL_KEY, check_model, existing_model, get_all, open_collection,
                              stored_articles)
from index.loading.dates import date_ordinal
from index.embedding.embed import Embedder
from index.storage.evidence import sentence_evidence
from index.storage.keyword import KeywordIndex
from index.models import Article, ArticleInfo, Chunk, Hit
from index.storage.search import BROAD_SHARE, OVERFETCH, ChunkSearch, date_where
from index.embedding.sentences import SentenceStore
from index.storage.stories import DEFAULT_THRESHOLD, StoryIndex, articles_from_chunks
from index.storage.sync import GENERATION_KEY, CrossProcessSync
from index.storage.vectorstore import ChunkVectorStore
from index.storage.writer import ChunkWriter

__all__ = ["BROAD_SHARE", "DIM_KEY", "GENERATION_KEY", "GET_PAGE", "MODEL_KEY", "OVERFETCH", "ArticleStore",
           "date_ordinal", "date_where", "embedded_client", "server_client"]


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
        story_threshold: Estimated Jaccard similarity from which two articles are copies of one
            story (`index.storage.stories`, kept in `stories`).

    Example:
        >>> store = ArticleStore(embedded_client(Path("data/chroma")), embedder, data_dir=Path("data"))
        >>> store.upsert(article, chunks)
        >>> store.search(embedder.embed_query("missiles"), k=5)
    """

    def __init__(self, client: chromadb.ClientAPI, embedder: Embedder, *, data_dir: Path,
                 collection: str = "articles", check_model: bool = True, records_db: str | None = None,
                 check_interval_s: float = 2.0, story_threshold: float = DEFAULT_THRESHOLD) -> None:
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
        self.searcher = ChunkSearch(self.vectorstore, self.keywords, self.sentences, refresh=self.sync.refresh)
        self.sync_keywords()
        # Wire copies: which stored articles are one story; rebuilt from the chunks when missing.
        self.stories = StoryIndex(data_dir / f"{collection}.stories.sqlite", threshold=story_threshold)
        self.stories.fill_if_missing(self.count(), lambda: articles_from_chunks(self.stored_chunks()))

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
        counts = self.writer.upsert_articles(batch)
        self.stories.add_many(article for article, chunks in batch if chunks)
        return counts

    def upsert_many(self, batch: list[tuple[Article, list[Chunk]]]) -> tuple[int, int]:
        """`upsert` for several articles in one indexing call (far faster for small articles)."""
        counts = self.writer.upsert_many(batch)
        self.stories.add_many(article for article, chunks in batch if chunks)  # unchanged ones are skipped there
        return counts

    def delete_article(self, article_id: str, *, sync: bool = True) -> int:
        """Remove every chunk of one article; return how many were removed.

        `sync=False` leaves the keyword index to one `sync_keywords()` after a batch.
        """
        removed = self.writer.delete_article(article_id)
        self.stories.remove(article_id)
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
        self.stories.clear()
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

    # -- reading -----------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def article_count(self) -> int:
        """How many articles are stored."""
        return len(self.articles())

    def newest_articles(self, limit: int) -> list[ArticleInfo]:
        """The `limit` newest stored articles, newest first."""
        return self.articles()[:limit]

    def articles(self) -> list[ArticleInfo]:
        """Every stored article, newest first."""
        return stored_articles(self.collection, page=GET_PAGE)

    def _get_all(self, include: list[str], where: dict[str, Any] | None = None) -> dict[str, list]:
        """Every matching record of the collection, read in pages."""
        # GET_PAGE is looked up in this module at each call (tests shrink it).
        return get_all(self.collection, include, where, page=GET_PAGE)

    def stored_chunks(self, article_id: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """(chunk id, stored document, metadata) of every chunk, or of one article's (both backends
        offer this, so callers need not reach into Chroma's collection)."""
        got = self._get_all(["documents", "metadatas"], None if article_id is None else {"article_id": article_id})
        return list(zip(got["ids"], got["documents"], got["metadatas"], strict=True))

    # -- searching (index.storage.search) -------------------------------------------------------
    def search(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` chunks nearest to `vector`, best first; `where` is a Chroma metadata filter."""
        return self.searcher.search(vector, k, where)

    def date_share(self, since: str | None, until: str | None) -> float:
        """The share of chunks published in [since, until] (1.0 without bounds)."""
        return self.searcher.date_share(since, until)

    def search_dated(self, vector: np.ndarray, k: int, since: str | None, until: str | None) -> list[Hit]:
        """`search` within a publication date range, without Chroma's (slow) metadata filter."""
        return self.searcher.search_dated(vector, k, since, until)

    def keyword_search(self, query: str, k: int, since: str | None = None,
                       until: str | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25, optionally within a publication date range."""
        return self.searcher.keyword_search(query, k, since, until)

    def hits(self, ids: list[str], vector: np.ndarray) -> list[Hit]:
        """Chunks by id, scored by cosine similarity to `vector`, in the order of `ids`."""
        return self.searcher.hits(ids, vector)

    # -- sentences of hits (index.storage.evidence) --------------------------------------------
    def sentence_evidence(self, hits: list[Hit]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each hit's stored (sentence vectors, token codes), see `index.embedding.sentences`; rows a chunk
        lacks (an interrupted write, an older index) are computed and stored now."""
        return sentence_evidence(self.sentences, self.embedder, hits)
