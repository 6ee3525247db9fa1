"""The keyword index updates in place: only new chunks are tokenized, and the result is the
index a fresh build would give (same BM25 scores, dates and vectors, row for row)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.storage.keyword as keyword_module
from index.storage.keyword import KeywordIndex

TEXTS = {
    "c1": "The harbour of Lowtown reopened on Friday after a storm.",
    "c2": "The central bank raised interest rates by a quarter point.",
    "c3": "Fishermen said the damage to the piers was smaller than feared.",
    "c4": "Interest in the cup final was record-breaking, the league said.",
    "c5": "",  # a chunk without words still gets a row
}
DATES = {"c1": 20240301, "c2": 20240115, "c3": 20240302, "c4": None, "c5": 20230101}


def vectors(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    codes = np.stack([np.full(4, int(i[1:]), dtype=np.int8) for i in ids]) if ids else np.zeros((0, 4), np.int8)
    return codes, np.full(len(ids), 0.5, dtype=np.float32)


def build(index: KeywordIndex, ids: list[str], **kwargs) -> None:  # noqa: ANN003
    index.update(ids, [TEXTS[i] for i in ids], [DATES[i] for i in ids], vectors(ids), **kwargs)


def state(index: KeywordIndex) -> dict:
    rows = {i: n for n, i in enumerate(index.ids)}
    return {
        "search": {q: sorted(index.search(q, 5)) for q in ("interest rates", "harbour piers storm", "cup")},
        "dates": {i: int(index.dates[n]) for i, n in rows.items()},
        "codes": {i: index._vectors[0][n].tolist() for i, n in rows.items()},
        "signature": index.signature,
    }


def test_updates_equal_a_fresh_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    incremental = KeywordIndex(tmp_path / "incremental")
    build(incremental, ["c1", "c2", "c3"], fresh=True)
    tokenized: list[str] = []
    real_terms = keyword_module.terms
    monkeypatch.setattr(keyword_module, "terms", lambda text: tokenized.append(text) or real_terms(text))
    build(incremental, ["c4", "c5"], removed={"c2"})
    assert tokenized == [TEXTS["c4"], TEXTS["c5"]]  # the others' tokens were kept
    reopened = KeywordIndex(tmp_path / "incremental")  # and everything was saved
    build(reopened, ["c2"], removed={"c5"})

    fresh = KeywordIndex(tmp_path / "fresh")
    build(fresh, ["c1", "c3", "c4", "c2"], fresh=True)
    assert state(reopened) == state(fresh)
    assert set(reopened.ids) == {"c1", "c2", "c3", "c4"}
    assert reopened.search("interest rates", 1)[0][0] == "c2"


def test_an_index_from_before_updates_must_be_rebuilt(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    build(index, ["c1", "c2"], fresh=True)
    (tmp_path / "kw" / "tokens.npy").unlink()
    old = KeywordIndex(tmp_path / "kw")
    assert not old.can_update and old.search("interest rates", 1)[0][0] == "c2"
    with pytest.raises(ValueError, match="build"):
        build(old, ["c3"])


def test_an_index_cut_by_another_tokenizer_is_neither_searched_nor_added_to(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # As the hand-written stemmer cut it ("harbour" -> "harbou"): the stems of today's queries
    # and texts would miss its words, or sit next to them under another id.
    real_terms = keyword_module.terms
    with monkeypatch.context() as patch:
        patch.setattr(keyword_module, "TOKENIZER", "v1 first-6-characters")
        patch.setattr(keyword_module, "terms", lambda text: [w[:6] for w in real_terms(text)])
        build(KeywordIndex(tmp_path / "kw"), ["c1", "c2"], fresh=True)

    old = KeywordIndex(tmp_path / "kw")
    assert old.ids == [] and not old.can_update and old.search("harbour", 5) == []  # the store rebuilds it
    build(old, ["c1", "c2", "c3"], fresh=True)
    assert (tmp_path / "kw" / keyword_module.TOKENIZER_FILE).read_text(encoding="utf-8") == keyword_module.TOKENIZER
    assert KeywordIndex(tmp_path / "kw").search("harbours", 1)[0][0] == "c1"

    # One saved before the tokenizer was recorded is treated the same way.
    (tmp_path / "kw" / keyword_module.TOKENIZER_FILE).unlink()
    assert KeywordIndex(tmp_path / "kw").ids == []
    assert not old.can_update  # nor is an open index added to once another process re-cut it
    with pytest.raises(ValueError, match="build"):
        build(old, ["c4"])
