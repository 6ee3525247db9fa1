"""The benchmark's own logic: editions vary articles without new sentences, the memo embeds each
text once, percentiles and the results table are right. (Its figures come from `make bench`.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bench.run as bench_run
from bench.corpus import MemoEncoder, edition
from bench.run import Row, _pct, write_results
from index.models import Article
from index.text import split_sentences
from qa.config import Settings

ARTICLE = Article(id="a1", title="Harbour", source="test", date="2022-03-01",
                  text="First paragraph here. It has two sentences.\n\nSecond one.\n\nThird paragraph, last.")


def test_edition_zero_is_the_articles_and_others_vary_but_reuse_sentences() -> None:
    assert list(edition([ARTICLE], 0)) == [ARTICLE]
    first, second = next(edition([ARTICLE], 1)), next(edition([ARTICLE], 2))
    assert len({ARTICLE.id, first.id, second.id}) == 3
    assert first.title == "Harbour (edition 1)" and first.date == "2022-04-07"
    assert first.text != ARTICLE.text and second.text != first.text
    assert sorted(split_sentences(first.text)) == sorted(split_sentences(ARTICLE.text))


def test_memo_embeds_each_text_once() -> None:
    class Counting:
        dimension = 2
        seen: list[str] = []

        def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
            self.seen.extend(texts)
            return (np.array([[len(t), 1.0] for t in texts], dtype=np.float32),
                    [np.full((len(t), 2), len(t), dtype=np.float32) for t in texts])

    inner = Counting()
    memo = MemoEncoder(inner)
    first = memo.encode(["a", "bb", "a"], 8)
    again = memo.encode(["bb", "ccc"], 8)
    assert inner.seen == ["a", "bb", "ccc"] and memo.embedded == 3
    assert first[:, 0].tolist() == [1, 2, 1] and again[:, 0].tolist() == [2, 3]
    _, tokens = memo.encode_tokens(["ccc", "a"], 8)
    assert inner.seen == ["a", "bb", "ccc"] and [t.shape for t in tokens] == [(3, 2), (1, 2)]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _pct(values, 50) == 50 and _pct(values, 95) == 95 and _pct(values, 100) == 100
    assert _pct([7.0], 95) == 7.0


def test_results_are_written_as_markdown_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_run, "RESULTS", tmp_path)
    rows = [Row("pipeline / raw model", 0.91, "x", ">= 0.85", True), Row("server peak RSS", 812.4, "MB")]
    path = write_results(rows, Settings(), 65.0)
    table = path.read_text()
    assert "| pipeline / raw model | 0.91 | x | >= 0.85 | yes |  |" in table
    assert "| server peak RSS | 812 | MB |" in table
    assert json.loads(path.with_suffix(".json").read_text())[0]["value"] == 0.91
