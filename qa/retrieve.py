"""Question -> the most relevant stored chunks (dense retrieval over Chroma)."""

from __future__ import annotations

from typing import Any

import numpy as np

from index.embed import Embedder
from index.models import Hit
from index.store import ArticleStore, date_ordinal


def date_filter(since: str | None, until: str | None) -> dict[str, Any] | None:
    """A Chroma `where` clause keeping articles published in [since, until] (ISO dates)."""
    clauses: list[dict[str, Any]] = []
    if since:
        clauses.append({"date_ord": {"$gte": date_ordinal(since)}})
    if until:
        clauses.append({"date_ord": {"$lte": date_ordinal(until)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Retriever:
    """Embeds the query once and returns the nearest chunks, best first.

    Args:
        store: The article store to search.
        embedder: The same model the store was built with.
        top_k: Chunks returned per query.
    """

    def __init__(self, store: ArticleStore, embedder: Embedder, top_k: int = 5) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k

    def retrieve(self, query: str, *, k: int | None = None, since: str | None = None,
                 until: str | None = None) -> tuple[np.ndarray, list[Hit]]:
        """Return the query vector (reused to score sentences) and the hits."""
        vector = self.embedder.encode([query])[0]
        hits = self.store.search(vector.tolist(), k or self.top_k, where=date_filter(since, until))
        return vector, hits
