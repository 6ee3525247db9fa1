"""Sentence vectors, computed once at ingest and kept beside each chunk.

Answering picks sentences, and ranking chunks by their best sentence beats ranking them by one
blurred chunk vector, so every chunk's sentences are embedded when the chunk is stored, never
per question. The chunk's own vector is the normalized mean of its title's and its sentences'
vectors, so storing a chunk costs one embedding pass over its sentences and nothing more.

Vectors are stored int8 with a scale per sentence (cosine to float32 above 0.999), in SQLite
keyed by chunk id: a primary-key lookup for the 30 chunks of one question is sub-millisecond.
The same forward pass yields the sentences' token vectors, kept beside them for late
interaction (`index.embedding.token_vectors`): on average 74 tokens x 64 bytes per chunk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.loading.text import sentence_spans
from index.embedding.token_vectors import DIMENSIONS, compress


def quantize(vectors: np.ndarray) -> tuple[bytes, bytes]:
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    codes = np.round(vectors / scales[:, None]).astype(np.int8)
    return scales.astype(np.float32).tobytes(), codes.tobytes()


def dequantize(scales: bytes, codes: bytes, dimension: int) -> np.ndarray:
    s = np.frombuffer(scales, dtype=np.float32)
    c = np.frombuffer(codes, dtype=np.int8).reshape(len(s), dimension).astype(np.float32)
    return c * s[:, None]


def embed_chunks(encode_tokens, titles: Sequence[str],
                 texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Embed every chunk's sentences in one batch.

    `encode_tokens` is `Embedder.encode_tokens`. Returns the chunk vectors, each chunk's sentence
    vectors and each chunk's token codes (its sentences' content tokens, `token_vectors.compress`).
    """
    spans = [sentence_spans(text) or [(0, len(text))] for text in texts]
    items = [piece for title, text, chunk_spans in zip(titles, texts, spans, strict=True)
             for piece in ([title] + [text[s:e] for s, e in chunk_spans])]
    # An article's chunks share its title, and overlapping chunks share sentences: embed each
    # distinct text once (a fifth of the texts of a typical batch).
    distinct = list(dict.fromkeys(items))
    row = {text: n for n, text in enumerate(distinct)}
    pooled, tokens = encode_tokens(distinct)
    vectors = pooled[[row[item] for item in items]]
    # One projection for the whole batch: per-text calls cost more in overhead than in arithmetic.
    flat = compress(np.concatenate(tokens)) if tokens else np.zeros((0, DIMENSIONS), dtype=np.int8)
    codes = np.split(flat, np.cumsum([len(t) for t in tokens])[:-1]) if tokens else []
    chunk_vectors, per_chunk, per_chunk_codes, at = [], [], [], 0
    for text, chunk_spans in zip(texts, spans, strict=True):
        block = vectors[at:at + 1 + len(chunk_spans)]
        at += 1 + len(chunk_spans)
        mean = block.mean(axis=0)
        chunk_vectors.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        per_chunk.append(block[1:])
        per_chunk_codes.append(np.concatenate([codes[row[text[s:e]]] for s, e in chunk_spans])
                               if chunk_spans else np.zeros((0, DIMENSIONS), dtype=np.int8))
    return np.asarray(chunk_vectors, dtype=np.float32), per_chunk, per_chunk_codes


class SentenceStore:
    """Sentence vectors by chunk id, in one SQLite file."""

    def __init__(self, path: Path, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dimension = dimension
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS sentences (chunk_id TEXT PRIMARY KEY, n INTEGER, "
                         "scales BLOB, vectors BLOB)")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sentences)")}
        if "chunk" not in columns:  # the chunk's own vector came later; older rows read as missing
            self._db.execute("ALTER TABLE sentences ADD COLUMN chunk BLOB")
        if "tokens" not in columns:  # so did token vectors; a row without them is filled on first read
            self._db.execute("ALTER TABLE sentences ADD COLUMN tokens BLOB")
        self._db.commit()

    def put(self, ids: Sequence[str], vectors: Sequence[np.ndarray],
            chunk_vectors: np.ndarray | None = None, tokens: Sequence[np.ndarray] | None = None) -> None:
        """Store each chunk's sentence vectors (int8 + scale), and its own vector and its token
        codes when given."""
        chunks: list[bytes | None] = [None] * len(ids)
        if chunk_vectors is not None:  # stored as one blob: the float32 scale, then the int8 codes
            scale_bytes, code_bytes = quantize(np.atleast_2d(chunk_vectors))
            scales = np.frombuffer(scale_bytes, dtype=np.float32)
            codes = np.frombuffer(code_bytes, dtype=np.int8).reshape(len(ids), self.dimension)
            chunks = [scales[n:n + 1].tobytes() + codes[n].tobytes() for n in range(len(ids))]
        token_blobs = [None] * len(ids) if tokens is None else [np.asarray(t, dtype=np.int8).tobytes() for t in tokens]
        rows = [(i, len(v), *quantize(np.atleast_2d(v)), c, t)
                for i, v, c, t in zip(ids, vectors, chunks, token_blobs, strict=True)]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO sentences (chunk_id, n, scales, vectors, chunk, tokens) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._db.commit()

    def chunk_vectors(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found mask, int8 codes, scales) of the chunks' own vectors, rows in `ids` order."""
        found = np.zeros(len(ids), dtype=bool)
        codes = np.zeros((len(ids), self.dimension), dtype=np.int8)
        scales = np.zeros(len(ids), dtype=np.float32)
        row_of = {chunk_id: n for n, chunk_id in enumerate(ids)}
        with self._lock:
            for start in range(0, len(ids), 500):
                part = list(ids[start:start + 500])
                for chunk_id, blob in self._db.execute(
                        f"SELECT chunk_id, chunk FROM sentences WHERE chunk IS NOT NULL AND chunk_id IN "
                        f"({','.join('?' * len(part))})", part):
                    n = row_of[chunk_id]
                    if len(blob) == 4 + self.dimension:
                        found[n] = True
                        scales[n] = np.frombuffer(blob[:4], dtype=np.float32)[0]
                        codes[n] = np.frombuffer(blob[4:], dtype=np.int8)
        return found, codes, scales

    def get(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Sentence vectors of the chunks that have them."""
        return {chunk_id: vectors for chunk_id, (vectors, _) in self.read(ids).items()}

    def read(self, ids: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """(sentence vectors, token codes or None when not stored) of the chunks that have rows."""
        found: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                part = list(ids[start:start + 500])
                marks = ",".join("?" * len(part))
                for chunk_id, scales, codes, tokens in self._db.execute(
                        f"SELECT chunk_id, scales, vectors, tokens FROM sentences WHERE chunk_id IN ({marks})", part):
                    found[chunk_id] = (dequantize(scales, codes, self.dimension),
                                       None if tokens is None else
                                       np.frombuffer(tokens, dtype=np.int8).reshape(-1, DIMENSIONS))
        return found

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                self._db.execute(f"DELETE FROM sentences WHERE chunk_id IN ({','.join('?' * len(part))})", part)
            self._db.commit()

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sentences")
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])
