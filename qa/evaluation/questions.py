"""The evaluation's questions and datasets, whatever file format they were read from
(`qa.evaluation.datasets` reads SQuAD and BEIR, `qa.evaluation.natural` the natural sets and
RealTimeQA, `qa.evaluation.sentences` SelQA and adversarial SQuAD, `qa.evaluation.claims` the
claim sets)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from index.models import Article

Format = Literal["squad", "beir", "natural", "realtimeqa", "claims", "selqa", "squad-adversarial", "nli"]
FORMATS: tuple[str, ...] = Format.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    text: str
    answerable: bool = True
    golds: tuple[str, ...] = ()  # SQuAD answer texts
    article_id: str | None = None  # SQuAD gold article
    relevant: dict[str, int] = field(default_factory=dict)  # BEIR: article id -> relevance
    history: tuple[dict[str, str], ...] = ()  # earlier turns, for follow-ups
    as_of: str | None = None  # the date time words are read against (the question's date)
    kind: str = ""  # natural sets: paraphrase, follow_up, unanswerable, off_topic, time; claims: the claim's kind
    # What one format needs besides: claims {"source", "title", "article", "split_dir"};
    # SelQA {"gold_sentences", "removed"}; adversarial SQuAD {"paragraph", "adversarial_text", "distractor"}
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Dataset:
    name: str
    format: Format
    articles: list[Article]
    questions: list[EvalQuestion]

    def sample(self, limit: int | None, seed: int = 0) -> list[EvalQuestion]:
        """`limit` questions drawn at random with `seed` (all of them, in order, without a limit)."""
        if limit is None or limit >= len(self.questions):
            return list(self.questions)
        return random.Random(seed).sample(self.questions, limit)
