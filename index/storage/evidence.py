"""The sentence vectors and token codes that answers are picked from, read per hit.

They are written beside every chunk at ingest (`index.storage.vectorstore`); a chunk stored before
its sentences (an interrupted write), or before token vectors were kept (an older index), has
them computed and stored on first read instead, so an answer never lacks them.
"""

from __future__ import annotations

import numpy as np

from index.embedding.embed import Embedder
from index.models import Hit
from index.embedding.sentences import SentenceStore, embed_chunks
from index.loading.text import sentence_spans


def sentence_evidence(sentences: SentenceStore, embedder: Embedder,
                      hits: list[Hit]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each hit's stored (sentence vectors, token codes), see `index.embedding.sentences`; missing or
    outdated rows are computed and stored now."""
    stored = sentences.read([h.chunk_id for h in hits])
    # A row is outdated without token codes, or with another count of sentences than the text.
    missing = [h for h in hits if h.chunk_id not in stored or stored[h.chunk_id][1] is None
               or len(stored[h.chunk_id][0]) != len(sentence_spans(h.text) or [(0, 0)])]
    if missing:
        missing = list({h.chunk_id: h for h in missing}.values())
        chunk_vectors, computed, tokens = embed_chunks(embedder.encode_tokens, [h.title for h in missing],
                                                       [h.text for h in missing])
        sentences.put([h.chunk_id for h in missing], computed, chunk_vectors, tokens)
        stored.update({h.chunk_id: (v, t) for h, v, t in zip(missing, computed, tokens, strict=True)})
    return [stored[h.chunk_id] for h in hits]  # type: ignore[misc]
