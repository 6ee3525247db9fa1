"""Late interaction: content tokens kept at ingest, compressed, matched token by token."""

from __future__ import annotations

import numpy as np

from index.embedding.embed import Embedder
from index.models import Article
from index.embedding.token_vectors import DIMENSIONS, compress, content_positions, late_score, project, projection
from qa.api import Assistant


def test_content_positions_keep_words_that_carry_meaning() -> None:
    tokens = ["[CLS]", "the", "harbour", "of", "low", "##town", "reopened", "in", "1979", ",", "[SEP]"]
    assert [tokens[n] for n in content_positions(tokens)] == ["harbour", "low", "reopened", "1979"]
    assert content_positions(["[CLS]", "[SEP]"]) == []


def test_projection_is_fixed_and_orthonormal() -> None:
    matrix = projection(384)
    assert matrix.shape == (384, DIMENSIONS)
    assert np.allclose(matrix.T @ matrix, np.eye(DIMENSIONS), atol=1e-5)
    projection.cache_clear()
    assert np.array_equal(projection(384), matrix)  # recomputed identically: stored codes stay valid
    # Pinned values: if NumPy's legacy stream or LAPACK's QR ever changed them, every stored index
    # would silently lose its late-interaction ranking, so this must fail first.
    assert abs(float(matrix[0, 0]) - -0.0677723214) < 1e-6
    assert abs(float(matrix[383, 63]) - 0.0063441908) < 1e-6


def test_compression_keeps_cosines() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((50, 384)).astype(np.float32)
    codes = compress(vectors)
    assert codes.dtype == np.int8 and codes.shape == (50, DIMENSIONS)
    decoded = codes.astype(np.float32) / 127
    assert np.allclose(np.linalg.norm(decoded, axis=1), 1.0, atol=0.02)
    unit = decoded / np.linalg.norm(decoded, axis=1, keepdims=True)
    assert (unit * project(vectors)).sum(axis=1).min() > 0.998  # int8 rounding costs almost nothing


def test_late_score_is_the_mean_best_match() -> None:
    rng = np.random.default_rng(2)
    chunk = rng.standard_normal((5, 384)).astype(np.float32)
    codes = compress(chunk)
    same = project(chunk[:2])  # two query tokens, each present in the chunk
    assert late_score(same, codes) > 0.99
    half = project(np.vstack([chunk[:1], rng.standard_normal((1, 384))]))
    assert 0.4 < late_score(half, codes) < 0.8
    assert late_score(same, None) == 0.0 and late_score(same, codes[:0]) == 0.0
    assert late_score(same[:0], codes) == 0.0


def test_token_vectors_come_from_the_same_forward_pass(embedder: Embedder) -> None:
    texts = ["The harbour of Lowtown reopened on Friday.", "Fishermen counted the damage."]
    pooled, tokens = embedder.encode_tokens(texts)
    assert np.allclose(pooled, embedder.encode(texts), atol=1e-6)
    assert [len(t) for t in tokens] == [4, 3]  # harbour low(town) reopened friday / fishermen counted damage
    assert all(np.allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5) for t in tokens)


def test_torch_and_onnx_token_vectors_agree(embedder: Embedder) -> None:
    torch_embedder = Embedder(backend="torch")
    texts = ["Shares of Nvidia fell 3% after the earnings call.", "What did Macron announce?"]
    _, onnx_tokens = embedder.encode_tokens(texts)
    _, torch_tokens = torch_embedder.encode_tokens(texts)
    for ours, theirs in zip(onnx_tokens, torch_tokens, strict=True):
        assert ours.shape == theirs.shape
        assert (ours * theirs).sum(axis=1).mean() > 0.97  # int8 weights against fp32


def test_late_interaction_prefers_the_chunk_holding_every_word(embedder: Embedder) -> None:
    """The question's words all find a partner only in the chunk that answers it."""
    question = "How many affiliated stations does the network have?"
    _, tokens = embedder.encode_tokens([question])
    query = project(tokens[0])
    answering = "The network has eight owned stations and over 232 affiliated stations across the country."
    topical = "The network broadcasts news, sport and drama to viewers across the country every evening."
    _, chunk_tokens = embedder.encode_tokens([answering, topical])
    assert late_score(query, compress(chunk_tokens[0])) > late_score(query, compress(chunk_tokens[1])) + 0.05


def test_ingest_stores_token_vectors_and_fills_older_rows(assistant: Assistant) -> None:
    assistant.ingest_articles([Article(id="h", title="Harbour", source="s",
                                       text="The harbour of Lowtown reopened on Friday. The zyxolite piers held.")])
    store = assistant.store
    [(chunk_id, (_, codes))] = store.sentences.read(store.collection.get(include=[])["ids"]).items()
    assert codes is not None and codes.dtype == np.int8 and codes.shape[1] == DIMENSIONS and len(codes) >= 5
    # An index from before token vectors were kept: the rows lack them until a question reads them.
    with store.sentences._lock:
        store.sentences._db.execute("UPDATE sentences SET tokens = NULL")
        store.sentences._db.commit()
    assert store.sentences.read([chunk_id])[chunk_id][1] is None
    answer = assistant.ask("When did the harbour of Lowtown reopen?")
    assert "Friday" in answer.text
    refilled = store.sentences.read([chunk_id])[chunk_id][1]
    assert refilled is not None and np.array_equal(refilled, codes)


def test_each_sentence_is_matched_against_its_own_tokens(assistant: Assistant) -> None:
    assistant.ingest_articles([Article(id="harbour", title="Lowtown harbour", source="harbour.txt", text=(
        "The harbour of Lowtown reopened on Friday after a storm. Its lighthouse is painted bright green. "
        "Fishermen sold eel at the market."))])
    trace = assistant.trace("What colour is the lighthouse painted?")
    sentences = trace.chunks[0].sentences
    chunk_late = trace.chunks[0].late
    lighthouse = next(s for s in sentences if "lighthouse" in s.text)
    eel = next(s for s in sentences if "eel" in s.text)
    # The chunk's score is the best match over all its tokens; a sentence only gets its own.
    assert lighthouse.late > eel.late and max(s.late for s in sentences) <= chunk_late + 1e-6
