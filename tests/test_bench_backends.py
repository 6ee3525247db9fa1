"""The backends benchmark's own logic (its figures come from `make bench`): the vectors it gives
in place of the model's, and its results table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bench.backends as backends
from bench.backends import BankEncoder, Result, write_results
from index.embedding.embed import Embedder
from qa.config import Settings


def test_bank_vectors_are_unit_stable_per_text_near_a_real_vector_with_the_true_token_counts(embedder: Embedder) -> None:
    inner = embedder._encoder
    bank = embedder.encode(["The harbour reopened after the storm.", "Shares fell on Monday.",
                            "The minister resigned."])
    fake = BankEncoder(inner, bank)
    texts = ["Ferries resume in March.", "A new bridge opens.", "Ferries resume in March."]
    pooled, tokens = fake.encode_tokens(texts, 8)
    assert pooled.shape == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1, atol=1e-5)
    assert np.array_equal(pooled[0], pooled[2]) and not np.array_equal(pooled[0], pooled[1])
    assert max(float(pooled[0] @ b) for b in bank) > 0.6  # one real vector, a little noise
    assert [len(t) for t in tokens] == inner.content_token_counts(texts)
    assert all(np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5) for t in tokens)
    assert np.array_equal(fake.encode(texts[:1], 8), pooled[:1])


def test_results_table_marks_the_milvus_rows_against_the_targets(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "RESULTS", tmp_path)
    rows = [Result("chroma-embedded", 10_000, 310.4, 41.0, 80.2, 900.0, 950.0, None),
            Result("milvus", 10_000, 200.0, 60.0, 110.0, 420.0, 430.0, 500.0),
            Result("milvus", 100_000, 180.0, 70.0, 130.0, 420.0, 430.0, 900.0)]
    path = write_results(rows, Settings(), 60.0, "python -m bench.backends --sizes 10000", "Notes: x")
    text = path.read_text(encoding="utf-8")
    assert path.name.endswith("-backends.md") and "`python -m bench.backends --sizes 10000`" in text
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[1] == "| chroma-embedded | 10k | 310 | 41 | 80 | 900 | 950 | - |  |"
    assert lines[2].endswith("| 500 | yes |") and lines[3].endswith("| 900 | **no** |")
    assert text.rstrip().endswith("Notes: x")
