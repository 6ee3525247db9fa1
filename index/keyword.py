"""The keyword (BM25) index, persisted next to Chroma and kept in step with it.

bm25s has no incremental update, so the index is rebuilt from the Chroma collection whenever
ingestion changed something (a few seconds at 100k chunks). It records the collection's chunk
ids it was built from; when they no longer match (a crash between the two writes, another
process ingesting), the next search rebuilds it first, so keyword and dense results always
describe the same chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.tokens import terms

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


def ids_signature(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


class KeywordIndex:
    """BM25 over chunk texts, with each chunk's publication date for filtered search.

    Args:
        path: Folder where the index is saved (created on first build).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._bm25: bm25s.BM25 | None = None
        self.ids: list[str] = []
        self.dates = np.zeros(0, dtype=np.int64)  # YYYYMMDD, 0 when unknown
        self.signature = ids_signature([])
        self._positions: dict[str, int] | None = None  # chunk id -> row, built on first use
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None  # (int8 codes, scales) by row
        self._load()

    def _load(self) -> None:
        meta = self.path / "meta.json"
        if not meta.exists():
            return
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            self.ids, self.signature = info["ids"], info["signature"]
            self.dates = np.asarray(info["dates"], dtype=np.int64)
            self._bm25 = bm25s.BM25.load(str(self.path / "bm25")) if self.ids else None
            self._vectors = self._load_vectors()
        except Exception:  # a damaged index is rebuilt, never trusted
            logger.warning("keyword index at %s is unreadable; it will be rebuilt", self.path)
            self.ids, self.signature, self._bm25 = [], "", None

    def build(self, ids: Sequence[str], texts: Sequence[str], dates: Sequence[int | None],
              vectors: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Replace the index with these chunks and save it.

        `vectors`: the chunks' own vectors as (int8 codes, scales), rows in `ids` order, for
        `nearest` (exact search among the chunks of a date range).
        """
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index([terms(t) or ["\x00"] for t in texts], show_progress=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if bm25 is not None:
            bm25.save(str(tmp / "bm25"))
        info = {"ids": list(ids), "dates": [int(d or 0) for d in dates], "signature": ids_signature(ids)}
        (tmp / "meta.json").write_text(json.dumps(info), encoding="utf-8")
        if vectors is not None:
            np.save(tmp / "codes.npy", vectors[0])
            np.save(tmp / "scales.npy", vectors[1])
        with self._lock:
            # Swap the folder in whole, so a reader never sees half of an index.
            old = self.path.with_name(self.path.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.path.exists():
                self.path.rename(old)
            tmp.rename(self.path)
            shutil.rmtree(old, ignore_errors=True)
            self._bm25, self.ids, self._positions = bm25, list(ids), None
            self._vectors = self._load_vectors()
            self.dates, self.signature = np.asarray(info["dates"], dtype=np.int64), info["signature"]

    def date_mask(self, since: int | None, until: int | None) -> np.ndarray | None:
        """Which chunks (in `ids` order) were published in [since, until]; None without bounds.

        Undated chunks are never kept, as in Chroma's filter (they have no `date_ord`).
        """
        if since is None and until is None:
            return None
        dates = self.dates
        keep = dates > 0
        if since is not None:
            keep &= dates >= since
        if until is not None:
            keep &= dates <= until
        return keep

    def _load_vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        codes, scales = self.path / "codes.npy", self.path / "scales.npy"
        if not codes.exists() or not scales.exists():
            return None
        # Memory-mapped: pages are read only for the rows a filtered search touches.
        loaded = np.load(codes, mmap_mode="r"), np.load(scales, mmap_mode="r")
        return loaded if len(loaded[0]) == len(self.ids) == len(loaded[1]) else None

    @property
    def has_vectors(self) -> bool:
        return self._vectors is not None

    def nearest(self, rows: np.ndarray, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Exact cosine search among the chunks at `rows`: the `k` best (id, cosine), best first."""
        with self._lock:
            vectors, ids = self._vectors, self.ids
        if vectors is None or k <= 0 or len(rows) == 0:
            return []
        codes, scales = vectors
        scores = (np.asarray(codes[rows], dtype=np.float32) @ vector) * np.asarray(scales[rows])
        top = np.argpartition(-scores, min(k, len(rows)) - 1)[:k] if len(rows) > k else np.arange(len(rows))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[int(rows[t])], float(scores[t])) for t in top]

    def position(self, chunk_id: str) -> int | None:
        """The row of `chunk_id` in `ids` (and in `date_mask`)."""
        with self._lock:
            if self._positions is None:
                self._positions = {i: n for n, i in enumerate(self.ids)}
            return self._positions.get(chunk_id)

    def search(self, query: str, k: int, since: int | None = None,
               until: int | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids for `query` with their BM25 scores, zero scores left out."""
        with self._lock:
            bm25, ids = self._bm25, self.ids
        words = terms(query)
        if bm25 is None or not words or k <= 0:
            return []
        keep = self.date_mask(since, until)
        mask = None if keep is None else keep.astype(np.float32)
        found, scores = bm25.retrieve([words], k=min(k, len(ids)), show_progress=False, weight_mask=mask)
        return [(ids[int(i)], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
