"""The keyword (BM25) index, persisted next to Chroma and kept in step with it.

bm25s has no incremental update, but building it from token ids is quick (about 3 s at 100k
chunks) where tokenizing and stemming every chunk again is not (about 15 s). So the index keeps
each chunk's token ids, and an update tokenizes only the chunks that are new. It records the
collection's chunk ids it holds; when they no longer match (a crash between the two writes,
another process ingesting), the store brings it up to date before searching, so keyword and
dense results always describe the same chunks.

Beside BM25 it keeps each chunk's publication date and its int8 vector, row for row, for
date-filtered searches (`ArticleStore.search_dated`).

The token ids are stems of `index.tokens.terms`: an index records the `TOKENIZER` that cut them,
and one cut by another (an older stemmer, other stop words) is not loaded and not added to, so
the store rebuilds it from the collection's texts instead of mixing two kinds of stems.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.tokens import TOKENIZER, terms

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


EMPTY = "\x00"  # the one token of a chunk without words, so every row has one


def _token_ids(words: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Words -> ids in `vocab`, adding new words to it."""
    return np.asarray([vocab.setdefault(word, len(vocab)) for word in words], dtype=np.int32)


TOKENIZER_FILE = "tokenizer.txt"  # the `TOKENIZER` the stored token ids were cut with


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
        if not self._same_tokenizer():
            # Its stems are not the ones searches and updates now cut: left unloaded, it is
            # rebuilt from the collection (the store syncs on opening), never added to.
            logger.warning("keyword index at %s was built with another tokenizer; it will be rebuilt", self.path)
            return
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            self.ids, self.signature = info["ids"], info["signature"]
            self.dates = np.asarray(info["dates"], dtype=np.int64)
            self._bm25 = bm25s.BM25.load(str(self.path / "bm25")) if self.ids else None
            self._vectors = self._load_vectors()
        except Exception:  # a damaged index is rebuilt, never trusted
            logger.warning("keyword index at %s is unreadable; it will be rebuilt", self.path)
            self.ids, self.signature, self._bm25, self._vectors = [], "", None, None

    def _same_tokenizer(self) -> bool:
        """Whether the saved index was cut by this `TOKENIZER` (an index without the record, from
        before it was kept, was not)."""
        try:
            return (self.path / TOKENIZER_FILE).read_text(encoding="utf-8") == TOKENIZER
        except OSError:
            return False

    @property
    def can_update(self) -> bool:
        """Whether `update` can add to this index (it holds token ids and vectors, cut by this
        tokenizer), or it must be built anew."""
        return self._vectors is not None and (self.path / "tokens.npy").exists() and self._same_tokenizer()

    def build(self, ids: Sequence[str], texts: Sequence[str], dates: Sequence[int | None],
              vectors: tuple[np.ndarray, np.ndarray]) -> None:
        """Replace the index with these chunks and save it."""
        self.update(ids, texts, dates, vectors, fresh=True)

    def update(self, ids: Sequence[str], texts: Sequence[str], dates: Sequence[int | None],
               vectors: tuple[np.ndarray, np.ndarray], removed: Iterable[str] = (), *,
               fresh: bool = False) -> None:
        """Add (or replace) these chunks, drop `removed`, and save; only new texts are tokenized.

        `vectors`: the chunks' own vectors as (int8 codes, scales), rows in `ids` order.
        `fresh`: start from an empty index instead of this one.
        """
        self.update_rows(zip(ids, texts, dates, strict=True), lambda _: vectors, removed, fresh=fresh)

    def update_rows(self, rows: Iterable[tuple[str, str, int | None]],
                    vectors: Callable[[list[str]], tuple[np.ndarray, np.ndarray]], removed: Iterable[str] = (), *,
                    fresh: bool = False) -> None:
        """`update` from (id, text, date) rows read one at a time: each text is tokenized and let
        go, so adding 100k chunks never holds their texts at once. `vectors(ids)` gives the
        added chunks' (int8 codes, scales) once their ids are known."""
        if not fresh and not self.can_update and self.ids:
            raise ValueError("this keyword index predates incremental updates: build() it instead")
        tokens, vocab = ([], {}) if fresh else self._load_tokens()
        new_ids: list[str] = []
        new_tokens: list[np.ndarray] = []
        new_dates: list[int] = []
        for chunk_id, text, date in rows:
            new_ids.append(chunk_id)
            new_tokens.append(_token_ids(terms(text) or [EMPTY], vocab))
            new_dates.append(int(date or 0))
        gone = set(removed) | set(new_ids)
        keep = [] if fresh else [n for n, chunk_id in enumerate(self.ids) if chunk_id not in gone]
        old_codes, old_scales = self._vectors if self._vectors is not None and not fresh else (None, None)
        all_ids = [self.ids[n] for n in keep] + new_ids
        all_tokens = [tokens[n] for n in keep] + new_tokens
        all_dates = np.concatenate([self.dates[keep] if keep else np.zeros(0, np.int64),
                                    np.asarray(new_dates, dtype=np.int64)])
        new_codes, new_scales = vectors(new_ids)
        codes, scales = np.asarray(new_codes, dtype=np.int8), np.asarray(new_scales, dtype=np.float32)
        if keep:
            codes = np.concatenate([np.asarray(old_codes[keep]), codes.reshape(-1, old_codes.shape[1])])
            scales = np.concatenate([np.asarray(old_scales[keep]), scales])
        self._save(all_ids, all_tokens, vocab, all_dates, codes, scales)

    def _load_tokens(self) -> tuple[list[np.ndarray], dict[str, int]]:
        if not self.ids:
            return [], {}
        flat = np.load(self.path / "tokens.npy")
        offsets = np.load(self.path / "offsets.npy")
        vocab = json.loads((self.path / "vocab.json").read_text(encoding="utf-8"))
        return [flat[offsets[n]:offsets[n + 1]] for n in range(len(offsets) - 1)], vocab

    def _save(self, ids: list[str], tokens: list[np.ndarray], vocab: dict[str, int], dates: np.ndarray,
              codes: np.ndarray, scales: np.ndarray) -> None:
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index((tokens, dict(vocab)), show_progress=False)  # bm25s adds its own "" token
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if bm25 is not None:
            bm25.save(str(tmp / "bm25"))
        info = {"ids": ids, "dates": dates.tolist(), "signature": ids_signature(ids)}
        (tmp / "meta.json").write_text(json.dumps(info), encoding="utf-8")
        lengths = np.asarray([len(t) for t in tokens], dtype=np.int64)
        np.save(tmp / "tokens.npy", np.concatenate(tokens) if tokens else np.zeros(0, np.int32))
        np.save(tmp / "offsets.npy", np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        (tmp / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (tmp / TOKENIZER_FILE).write_text(TOKENIZER, encoding="utf-8")
        np.save(tmp / "codes.npy", codes.reshape(len(ids), -1) if len(ids) else codes)
        np.save(tmp / "scales.npy", scales)
        with self._lock:
            # Swap the folder in whole, so a reader never sees half of an index.
            old = self.path.with_name(self.path.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.path.exists():
                self.path.rename(old)
            tmp.rename(self.path)
            shutil.rmtree(old, ignore_errors=True)
            self._bm25, self.ids, self._positions = bm25, ids, None
            self.dates, self.signature = dates, info["signature"]
            self._vectors = self._load_vectors()

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
