"""The bundled natural question sets are well formed: what `qa eval` and `make train-judge` read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NATURAL = Path(__file__).resolve().parent / "data" / "natural"
SETS = sorted(p.name for p in NATURAL.iterdir() if (p / "questions.jsonl").exists())
KINDS = {"paraphrase", "follow_up", "time", "unanswerable", "off_topic"}


def test_every_set_is_here() -> None:
    assert {"tune", "train-a", "train-b", "train-c", "test", "holdout"} <= set(SETS)


@pytest.mark.parametrize("name", SETS)
def test_golds_are_verbatim_in_their_article(name: str) -> None:
    folder = NATURAL / name
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["kind"] in KINDS, row["id"]
        if row["answers"]:
            text = (folder / "articles" / row["article"]).read_text(encoding="utf-8")
            assert all(gold in text for gold in row["answers"]), row["id"]
        if row["kind"] == "time":
            assert row.get("as_of"), row["id"]
        if row["kind"] == "follow_up":
            assert [turn["role"] for turn in row["history"]][:1] == ["user"], row["id"]


def test_the_sets_share_no_article() -> None:
    seen: dict[str, str] = {}
    for name in SETS:
        for article in (NATURAL / name / "articles").iterdir():
            assert article.name not in seen, f"{article.name} is in {seen.get(article.name)} and {name}"
            seen[article.name] = name
