"""Typed answers: what `Assistant.ask` returns and what `--json` and the HTTP API print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.models import public_source


@dataclass(frozen=True)
class Citation:
    """One supporting sentence, quoted verbatim, and where it comes from.

    `passage` is the retrieved chunk that contains the quote and `quote_start`/`quote_end`
    locate the quote inside it, so a UI can highlight it in context.
    """

    n: int
    article_id: str
    title: str
    date: str | None
    source: str
    quote: str
    url: str | None = None
    passage: str = ""
    quote_start: int = 0
    quote_end: int = 0
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "article_id": self.article_id, "title": self.title, "date": self.date,
                "source": public_source(self.source), "quote": self.quote}


@dataclass(frozen=True)
class UnsupportedSentence:
    """A sentence a language model wrote that its cited sources do not support, and why."""

    text: str
    reason: str
    removed: bool  # False when `llm.unsupported: mark` kept it in the answer, flagged

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "reason": self.reason, "removed": self.removed}


@dataclass
class Answer:
    """A grounded answer with `[n]` markers: sentences copied from the articles (extractive), or
    written by a language model and kept only where the cited sources support them (llm); or
    an abstention.

    `outcome` is "answered", "uncertain" (the closest the articles come, possibly not answering)
    or "not_in_articles"; `abstained` is true only for the last, as it always was.
    """

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    evidence: float | None = None  # the best quotable sentence's evidence score
    outcome: str = ""
    confidence: float | None = None  # the judge's probability that the quote answers (None: rule)
    short_answer: str | None = None  # "Paris", when the quote holds exactly one span of the kind asked
    notice: str | None = None  # e.g. the answer comes from an article older than "this week"
    mode: str = "extractive"  # "llm" when a language model wrote it (and each sentence was checked)
    unsupported: list[UnsupportedSentence] = field(default_factory=list)  # what the check removed or marked

    def __post_init__(self) -> None:
        if not self.outcome:
            self.outcome = "not_in_articles" if self.abstained else "answered"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "outcome": self.outcome,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "notice": self.notice,
            "mode": self.mode,
            "unsupported": [u.to_dict() for u in self.unsupported],
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
