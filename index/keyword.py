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
        except Exception:  # a damaged index is rebuilt, never trusted
            logger.warning("keyword index at %s is unreadable; it will be rebuilt", self.path)
            self.ids, self.signature, self._bm25 = [], "", None

    def build(self, ids: Sequence[str], texts: Sequence[str], dates: Sequence[int | None]) -> None:
        """Replace the index with these chunks and save it."""
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
        with self._lock:
            # Swap the folder in whole, so a reader never sees half of an index.
            old = self.path.with_name(self.path.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.path.exists():
                self.path.rename(old)
            tmp.rename(self.path)
            shutil.rmtree(old, ignore_errors=True)
            self._bm25, self.ids = bm25, list(ids)
            self.dates, self.signature = np.asarray(info["dates"], dtype=np.int64), info["signature"]

    def search(self, query: str, k: int, since: int | None = None,
               until: int | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids for `query` with their BM25 scores, zero scores left out."""
        with self._lock:
            bm25, ids, dates = self._bm25, self.ids, self.dates
        words = terms(query)
        if bm25 is None or not words or k <= 0:
            return []
        mask = None
        if since is not None or until is not None:
            keep = np.ones(len(ids), dtype=bool)
            if since is not None:
                keep &= dates >= since
            if until is not None:
                keep &= (dates <= until) & (dates > 0)
            mask = keep.astype(np.float32)
        found, scores = bm25.retrieve([words], k=min(k, len(ids)), show_progress=False, weight_mask=mask)
        return [(ids[int(i)], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
