"""Question -> the most relevant stored chunks: dense and keyword search, fused.

Dense retrieval (Chroma, cosine) finds paraphrases; BM25 finds the rare names and numbers that
embeddings blur. Their rankings are fused by reciprocal rank fusion, which needs no score
calibration between the two. Every returned hit carries its cosine similarity to the query,
whichever search found it, so later stages compare like with like. With `collapse_copies`, the
ranking is read further when wire copies of one story leave fewer than asked for once collapsed
(`qa.answering.copies`; the pipeline collapses them after scoring).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import numpy as np

from index.embedding.embed import Embedder
from index.models import Hit
from index.storage.store import ArticleStore
from index.embedding.token_vectors import project
from qa.answering.copies import one_copy_per_story

Mode = Literal["hybrid", "dense", "keyword"]
T = TypeVar("T")


@dataclass(frozen=True)
class Retrieved:
    """The hits of one search, best first, with the query's vector and its projected content-token
    vectors (reused to score sentences and chunks, and by a second search of the same text)."""

    vector: np.ndarray
    tokens: np.ndarray
    hits: list[Hit]


@dataclass(frozen=True)
class Candidate:
    """A hit with its stored sentence evidence: one row per sentence of
    `index.loading.text.sentence_spans(hit.text)`, and the sentences' token codes (late interaction)."""

    hit: Hit
    sentence_vectors: np.ndarray
    token_codes: np.ndarray | None = None


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 10) -> list[str]:
    """Ids ordered by sum of 1 / (k + rank) over the rankings (rank from 1); ties keep first seen."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


class Retriever:
    """Embeds the query once and returns the best chunks, best first.

    Args:
        store: The article store to search.
        embedder: The same model the store was built with.
        top_k: Chunks returned per query.
        mode: "hybrid" (dense + keyword, fused), "dense" or "keyword".
        candidates: Results taken from each search before fusion.
        rrf_k: The fusion constant.
        collapse_copies: One copy per story (`store.stories`) counts (`distinct`).
    """

    def __init__(self, store: ArticleStore, embedder: Embedder, top_k: int = 5, *, mode: Mode = "hybrid",
                 candidates: int = 30, rrf_k: int = 10, collapse_copies: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.mode = mode
        self.candidates = candidates
        self.rrf_k = rrf_k
        # A store that keeps no story clusters (another backend) has no copies to collapse.
        self.stories = getattr(store, "stories", None) if collapse_copies else None

    def retrieve(self, query: str, *, k: int | None = None, since: str | None = None, until: str | None = None,
                 encoded: Retrieved | None = None, distinct_at_least: int = 0) -> Retrieved:
        """The best hits for `query` with its vector and content-token vectors (see
        `index.embedding.token_vectors`); `encoded`, an earlier result for the same query, saves
        embedding it twice. Past the first `k`, the fused ranking is read further while fewer
        than `distinct_at_least` hits would remain once copies are collapsed (`distinct`)."""
        k = k or self.top_k
        if encoded is None:
            pooled, tokens = self.embedder.encode_tokens([query])
            vector, query_tokens = pooled[0], project(tokens[0])
        else:
            vector, query_tokens = encoded.vector, encoded.tokens
        pool = max(self.candidates, k)
        dense = [] if self.mode == "keyword" else self.store.search_dated(vector, pool, since, until)
        if self.mode == "dense":
            return Retrieved(vector, query_tokens, dense[:k])
        keyword = dict(self.store.keyword_search(query, pool, since, until))
        ranked = reciprocal_rank_fusion([[h.chunk_id for h in dense], list(keyword)], self.rrf_k)
        known = {h.chunk_id: h for h in dense}
        hits = self._fetch(ranked[:k], known, vector)
        read = k
        # Copies count once: with many in the ranking, read on (rare; a part at a time, each one get).
        while read < len(ranked) and (short := distinct_at_least - len(self.distinct(hits))) > 0:
            hits += self._fetch(ranked[read:read + short], known, vector)
            read += short
        return Retrieved(vector, query_tokens, [replace(h, keyword=keyword.get(h.chunk_id, 0.0)) for h in hits])

    def _fetch(self, ids: list[str], known: dict[str, Hit], vector: np.ndarray) -> list[Hit]:
        """The hits of `ids` in order: from `known` (dense search's), the others read by id."""
        fetched = {h.chunk_id: h for h in self.store.hits([i for i in ids if i not in known], vector)}
        return [h for i in ids if (h := known.get(i) or fetched.get(i)) is not None]

    def distinct(self, items: Sequence[T], article_of: Callable[[T], str] = lambda hit: hit.article_id) -> list[T]:
        """`items` (hits, scored chunks...) in order, only those of the first article met of each
        story kept (all of them when copies are not collapsed)."""
        if self.stories is None:
            return list(items)
        return one_copy_per_story(items, article_of, self.stories)

    def with_evidence(self, hits: Sequence[Hit]) -> list[Candidate]:
        """Each hit with its stored sentence evidence (rows a chunk lacks are computed and kept)."""
        hits = list(hits)
        return [Candidate(hit, vectors, codes)
                for hit, (vectors, codes) in zip(hits, self.store.sentence_evidence(hits), strict=True)]
