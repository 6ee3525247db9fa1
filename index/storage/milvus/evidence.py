"""A chunk's sentence evidence packed into one text column, and read back per hit.

Answering scores every sentence of the retrieved chunks (`qa.answering.scoring`), so each chunk's
sentence vectors and token codes (`index.embedding.sentences.embed_chunks`) are stored in its own
Milvus row at ingest, quantized exactly as Chroma mode's `SentenceStore` keeps them (int8 with a
scale per sentence), so both backends rank with the same numbers. Embedding them per question
instead would cost some 30 chunks x 10 sentences of model time on every question.

Layout, base64 of: uint32 sentences, uint32 tokens, float32 scales[sentences],
int8 vectors[sentences x dimension], int8 token codes[tokens x DIMENSIONS]. A chunk whose packed
evidence would not fit a VARCHAR (`MAX_TEXT_BYTES`) stores "" and has it computed when read,
kept in a bounded cache (`EvidenceReader`).
"""

from __future__ import annotations

import base64
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from index.embedding.embed import Embedder
from index.embedding.sentences import dequantize, embed_chunks, quantize
from index.embedding.token_vectors import DIMENSIONS
from index.loading.text import sentence_spans
from index.models import Hit
from index.storage.milvus.schema import MAX_TEXT_BYTES

_HEADER = struct.Struct("<II")
Evidence = tuple[np.ndarray, np.ndarray]


def pack(vectors: np.ndarray, tokens: np.ndarray) -> str:
    """One chunk's sentence vectors (float) and token codes (int8) as text; "" when too large."""
    scales, codes = quantize(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
    tokens = np.asarray(tokens, dtype=np.int8).reshape(-1, DIMENSIONS)
    raw = _HEADER.pack(len(scales) // 4, len(tokens)) + scales + codes + tokens.tobytes()
    text = base64.b64encode(raw).decode("ascii")
    return text if len(text) <= MAX_TEXT_BYTES else ""


def unpack(text: str, dimension: int) -> Evidence | None:
    """(sentence vectors, token codes) from `pack`'s text; None for "" (not stored)."""
    if not text:
        return None
    raw = base64.b64decode(text)
    sentences, tokens = _HEADER.unpack_from(raw)
    at = _HEADER.size
    scales = raw[at:at + 4 * sentences]
    at += 4 * sentences
    codes = raw[at:at + sentences * dimension]
    at += sentences * dimension
    token_codes = np.frombuffer(raw[at:at + tokens * DIMENSIONS], dtype=np.int8).reshape(tokens, DIMENSIONS)
    return dequantize(scales, codes, dimension), token_codes


class EvidenceReader:
    """Each hit's (sentence vectors, token codes): the stored ones, else computed and cached.

    Args:
        fetch: Reads the packed evidence of chunk ids from the engine ({id: text}).
        embedder: Computes evidence a row lacks (too large to store, or written by hand).
        cache_size: Computed evidences kept, most recently used first (bounded memory).
    """

    def __init__(self, fetch: Callable[[list[str]], dict[str, str]], embedder: Embedder, *,
                 cache_size: int = 512) -> None:
        self.fetch = fetch
        self.embedder = embedder
        self.cache_size = cache_size
        self._computed: OrderedDict[str, Evidence] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, hits: Sequence[Hit]) -> list[Evidence]:
        ids = list(dict.fromkeys(h.chunk_id for h in hits))
        found: dict[str, Evidence] = {}
        for chunk_id, text in self.fetch(ids).items():
            evidence = unpack(text, self.embedder.dimension)
            if evidence is not None:
                found[chunk_id] = evidence
        with self._lock:
            for chunk_id in ids:
                if chunk_id not in found and chunk_id in self._computed:
                    self._computed.move_to_end(chunk_id)
                    found[chunk_id] = self._computed[chunk_id]
        # A row is outdated with another count of sentences than its text has.
        missing = list({h.chunk_id: h for h in hits if h.chunk_id not in found
                        or len(found[h.chunk_id][0]) != len(sentence_spans(h.text) or [(0, 0)])}.values())
        if missing:
            _, vectors, tokens = embed_chunks(self.embedder.encode_tokens, [h.title for h in missing],
                                              [h.text for h in missing])
            with self._lock:
                for hit, v, t in zip(missing, vectors, tokens, strict=True):
                    # Quantized as if stored, so a computed row ranks like a stored one.
                    found[hit.chunk_id] = self._computed[hit.chunk_id] = unpack(pack(v, t), self.embedder.dimension) \
                        or (v, np.asarray(t, dtype=np.int8))
                    self._computed.move_to_end(hit.chunk_id)
                while len(self._computed) > self.cache_size:
                    self._computed.popitem(last=False)
        return [found[h.chunk_id] for h in hits]
