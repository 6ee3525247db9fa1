"""Typed answers: what `Assistant.ask` returns, and its one JSON shape (`AnswerJSON`), which
`--json`, the HTTP API (its response model), MCP and the chat all print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from index.models import public_source


class CopyJSON(BaseModel):
    """Another outlet's copy of the cited article (the same wire story, lightly edited)."""

    article_id: str
    title: str
    date: str | None = None
    source: str


class CitationJSON(BaseModel):
    n: int = Field(description="The [n] marker in the answer.")
    article_id: str
    title: str
    date: str | None = Field(description="Publication date, YYYY-MM-DD, when known.")
    source: str = Field(description="The article's URL, or its path relative to the folder it was ingested from.")
    quote: str = Field(description="The supporting sentence, verbatim.")
    page: int | None = Field(None, description="The page the quote starts on (PDF sources), from 1.")
    also_in: list[CopyJSON] = Field(default_factory=list,
                                    description="Other outlets that published the same story (wire copies).")


class ConflictValueJSON(BaseModel):
    value: str = Field(description="The value as one source states it, e.g. '19'.")
    n: int = Field(description="The [n] marker of the citation that states it.")
    date: str | None = Field(None, description="That source's publication date.")


class ConflictJSON(BaseModel):
    """Sources that state different values for what was asked (a toll, a count, a name)."""

    kind: str = Field(description="What differs: amount, count, date, person, place...")
    values: list[ConflictValueJSON] = Field(description="One per distinct value, newest source first.")
    text: str = Field(description="The line shown to readers: 'Sources differ: 19 [1] (Nov 6), 20 [2] (Nov 7)'.")


class UnsupportedJSON(BaseModel):
    text: str = Field(description="A generated sentence its cited sources do not support.")
    reason: str
    removed: bool = Field(description="False when llm.unsupported: mark kept it in the answer, flagged.")


class AnswerJSON(BaseModel):
    question: str
    answer: str
    outcome: Literal["answered", "uncertain", "not_in_articles"] = Field(
        description="answered; uncertain (the closest the articles come, may not answer); not_in_articles")
    abstained: bool = Field(description="True only when the outcome is not_in_articles.")
    short_answer: str | None = Field(None, description="The asked-for name, place, number or date, when the "
                                                       "quote holds exactly one.")
    confidence: float | None = Field(None, description="The answer judge's probability that the quote answers.")
    notice: str | None = Field(None, description="E.g. the answer comes from before the period asked about.")
    mode: Literal["extractive", "llm"] = Field(
        description="extractive: quoted sentences; llm: written by the language model, each sentence checked.")
    unsupported: list[UnsupportedJSON] = Field(
        default_factory=list, description="Generated sentences the check removed (or marked), and why.")
    citations: list[CitationJSON]
    conflicts: list[ConflictJSON] = Field(default_factory=list,
                                          description="Sources that disagree on what was asked; empty when none do.")
    timings_ms: dict[str, float]


@dataclass(frozen=True)
class Copy:
    """Another outlet's copy of a cited article: the same story, one cluster (see index.storage.stories)."""

    article_id: str
    title: str
    date: str | None
    source: str
    url: str | None = None

    def to_json(self) -> CopyJSON:
        return CopyJSON(article_id=self.article_id, title=self.title, date=self.date, source=public_source(self.source))


@dataclass(frozen=True)
class ConflictValue:
    value: str
    n: int  # the citation marker
    date: str | None = None


@dataclass(frozen=True)
class Conflict:
    """Sources that state different values for what was asked, newest first (see qa.answering.conflicts)."""

    kind: str
    values: tuple[ConflictValue, ...]
    text: str

    def to_json(self) -> ConflictJSON:
        return ConflictJSON(kind=self.kind, text=self.text,
                            values=[ConflictValueJSON(value=v.value, n=v.n, date=v.date) for v in self.values])


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
    page: int | None = None  # the page the quote starts on, for sources with pages (PDF)
    also_in: tuple[Copy, ...] = ()  # other outlets' copies of the same story

    def to_json(self) -> CitationJSON:
        return CitationJSON(n=self.n, article_id=self.article_id, title=self.title, date=self.date,
                            source=public_source(self.source), quote=self.quote, page=self.page,
                            also_in=[c.to_json() for c in self.also_in])

    def to_dict(self) -> dict[str, Any]:
        return self.to_json().model_dump()


@dataclass(frozen=True)
class UnsupportedSentence:
    """A sentence a language model wrote that its cited sources do not support, and why."""

    text: str
    reason: str
    removed: bool  # False when `llm.unsupported: mark` kept it in the answer, flagged

    def to_json(self) -> UnsupportedJSON:
        return UnsupportedJSON(text=self.text, reason=self.reason, removed=self.removed)

    def to_dict(self) -> dict[str, Any]:
        return self.to_json().model_dump()


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
    conflicts: list[Conflict] = field(default_factory=list)  # sources that disagree on what was asked

    def __post_init__(self) -> None:
        if not self.outcome:
            self.outcome = "not_in_articles" if self.abstained else "answered"

    def to_json(self) -> AnswerJSON:
        return AnswerJSON(
            question=self.question, answer=self.text, outcome=self.outcome, abstained=self.abstained,
            short_answer=self.short_answer, confidence=None if self.confidence is None else round(self.confidence, 4),
            notice=self.notice, mode=self.mode, unsupported=[u.to_json() for u in self.unsupported],
            citations=[c.to_json() for c in self.citations], conflicts=[c.to_json() for c in self.conflicts],
            timings_ms={k: round(v, 2) for k, v in self.timings_ms.items()})

    def to_dict(self) -> dict[str, Any]:
        """The answer's JSON (`AnswerJSON`), as `qa ask --json` and `POST /api/ask` give it."""
        return self.to_json().model_dump()
