"""The searches of the Milvus store: each one or two requests to the engine, nothing kept locally.

Dense search is Milvus' (COSINE: a hit's distance is the cosine similarity); date-filtered dense
and keyword search pass the range as a scalar filter on `date_ord` within the same request, so no
process needs the chunks' dates or vectors; keyword search is Milvus' BM25 over the project's stems
(`index.storage.milvus.schema`). Fusion stays the project's own (`qa.answering.retrieve`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from index.loading.dates import date_ordinal
from index.models import Hit
from index.storage.search import _hit as chunk_hit
from index.storage.milvus import schema as fields
from index.storage.milvus.engine import MilvusEngine
from index.storage.milvus.vectorstore import quoted

HIT_FIELDS = [fields.DOCUMENT, fields.META]
# HNSW breadth at search time: at least this, and never below k.
EF_SEARCH = 100


def date_filter(since: str | None, until: str | None) -> str:
    """A filter keeping chunks published in [since, until] (ISO dates); "" without bounds.
    Undated chunks (`date_ord` 0) never pass a bound, as in Chroma mode."""
    clauses = [f"{fields.DATE_ORD} {op} {date_ordinal(value)}" for op, value in ((">=", since), ("<=", until)) if value]
    if until and not since:
        clauses.insert(0, f"{fields.DATE_ORD} > {fields.UNDATED}")
    return " and ".join(clauses)


class MilvusSearch:
    """Dense, date-filtered, keyword and by-id reads of one collection.

    Args:
        engine: The engine client.
        collection: The collection searched.
    """

    def __init__(self, engine: MilvusEngine, collection: str) -> None:
        self.engine = engine
        self.collection = collection

    def search(self, vector: list[float], k: int, where: str = "") -> list[Hit]:
        """The `k` chunks nearest to `vector`, best first; `where` is a Milvus filter expression."""
        if k <= 0:
            return []
        found = self.engine.call("search", self.collection, data=[list(map(float, vector))], anns_field=fields.VECTOR,
                                 limit=k, filter=where, output_fields=HIT_FIELDS,
                                 search_params={"metric_type": "COSINE", "params": {"ef": max(EF_SEARCH, k)}})
        return [_hit(h["id"], h["entity"], float(h["distance"])) for h in found[0]]

    def search_dated(self, vector: np.ndarray, k: int, since: str | None, until: str | None) -> list[Hit]:
        """`search` within a publication date range: one request with a scalar filter."""
        return self.search(np.asarray(vector, dtype=np.float32).tolist(), k, date_filter(since, until))

    def date_share(self, since: str | None, until: str | None) -> float:
        """The share of chunks published in [since, until] (1.0 without bounds)."""
        where = date_filter(since, until)
        if not where:
            return 1.0
        total = self.count()
        return self.count(where) / total if total else 1.0

    def count(self, where: str = "") -> int:
        found = self.engine.call("query", self.collection, filter=where, output_fields=["count(*)"])
        return int(found[0]["count(*)"]) if found else 0

    def keyword_search(self, query: str, k: int, since: str | None = None,
                       until: str | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25, optionally within a publication date range."""
        text = fields.keyword_text(query)
        if not text or k <= 0:
            return []
        found = self.engine.call("search", self.collection, data=[text], anns_field=fields.SPARSE, limit=k,
                                 filter=date_filter(since, until), output_fields=[],
                                 search_params={"metric_type": "BM25", "params": dict(fields.BM25_PARAMS)})
        # Milvus returns the BM25 score as the distance (milvus-lite negated): best first either way.
        return [(h["id"], abs(float(h["distance"]))) for h in found[0] if h["distance"]]

    def hits(self, ids: list[str], vector: np.ndarray) -> list[Hit]:
        """Chunks by id, scored by cosine similarity to `vector`, in the order of `ids`."""
        if not ids:
            return []
        rows = self.get(ids, [*HIT_FIELDS, fields.VECTOR])
        query = np.asarray(vector, dtype=np.float32)
        return [_hit(i, rows[i], float(np.asarray(rows[i][fields.VECTOR], dtype=np.float32) @ query))
                for i in ids if i in rows]

    def get(self, ids: list[str], output_fields: list[str]) -> dict[str, dict[str, Any]]:
        """Rows by id ({id: fields}), a page of ids per request."""
        rows: dict[str, dict[str, Any]] = {}
        for at in range(0, len(ids), 1000):
            part = ids[at:at + 1000]
            for row in self.engine.call("query", self.collection, filter=f"{fields.ID} in {quoted(part)}",
                                        output_fields=output_fields):
                rows[row[fields.ID]] = row
        return rows


def _hit(chunk_id: str, row: dict[str, Any], score: float) -> Hit:
    # Built by Chroma mode's own function from the same document and metadata: identical hits.
    return chunk_hit(chunk_id, row[fields.DOCUMENT], row[fields.META], score)
