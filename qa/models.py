"""Typed answers: what `Assistant.ask` returns and what `--json` and the HTTP API print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
                "source": self.source, "quote": self.quote}


@dataclass
class Answer:
    """A grounded answer: sentences copied from the articles with `[n]` markers, or an abstention."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    evidence: float | None = None  # the score compared with the abstention threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
