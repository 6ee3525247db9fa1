"""Typed timelines: what `Assistant.timeline` returns, and its one JSON shape (`TimelineJSON`), which
`qa timeline --json` and `POST /api/timeline` print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from index.models import public_source
from qa.models import Citation, CitationJSON, CopyJSON, UnsupportedJSON, UnsupportedSentence


class TimelineEntryJSON(BaseModel):
    date: str = Field(description="The cited article's publication date, YYYY-MM-DD.")
    sentence: str = Field(description="The development, quoted verbatim from the article.")
    citation: CitationJSON = Field(description="Where it comes from; `quote` is `sentence`, `also_in` the "
                                               "other outlets' copies of the same story.")


class TimelineSourceJSON(BaseModel):
    n: int = Field(description="The [n] marker of the entries (and the summary) that cite it.")
    article_id: str
    title: str
    date: str | None
    source: str = Field(description="The article's URL, or its path relative to the folder it was ingested from.")
    url: str | None = None
    also_in: list[CopyJSON] = Field(default_factory=list,
                                    description="Other outlets that published the same story (wire copies).")


class TimelineJSON(BaseModel):
    question: str = Field(description="The topic or question as asked.")
    topic: str = Field(description="What was searched for: the question without its date phrase and framing.")
    since: str | None = Field(description="Only articles published on or after this date (YYYY-MM-DD).")
    until: str | None = Field(description="Only articles published on or before this date (YYYY-MM-DD).")
    period: str | None = Field(None, description="The words of the question that set since/until, e.g. "
                                                 "'since Monday'; null when they came from the request or nowhere.")
    entries: list[TimelineEntryJSON] = Field(description="One per dated development, oldest first.")
    sources: list[TimelineSourceJSON] = Field(description="The cited articles, by [n]; undated ones last.")
    undated: list[int] = Field(default_factory=list,
                               description="The [n] of relevant articles without a date: left out of the entries.")
    summary: str | None = Field(None, description="With answer.mode: llm, a short summary by the language model "
                                                  "citing the [n] above; each sentence checked against them.")
    unsupported: list[UnsupportedJSON] = Field(default_factory=list,
                                               description="Summary sentences the check removed (or marked), and why.")
    mode: Literal["extractive", "llm"]
    notice: str | None = None
    timings_ms: dict[str, float]


@dataclass(frozen=True)
class TimelineEntry:
    """One dated development: a sentence quoted from an article, and its citation."""

    date: str
    sentence: str
    citation: Citation  # `quote` is `sentence`; `also_in` the story's other outlets

    def to_json(self) -> TimelineEntryJSON:
        return TimelineEntryJSON(date=self.date, sentence=self.sentence, citation=self.citation.to_json())


@dataclass
class Timeline:
    """A story's developments in date order, each quoted and cited (see `qa.timeline`).

    `entries` hold the dated developments, oldest first (one article can give two); `undated`
    the relevant articles without a publication date, which a timeline cannot place: they are
    left out of the entries and listed after the dated sources. `summary` is the language
    model's short summary (llm mode only), each of its sentences checked against the entries
    it cites; what the check rejected is in `unsupported`.
    """

    question: str
    topic: str
    since: str | None
    until: str | None
    entries: list[TimelineEntry]
    undated: list[Citation] = field(default_factory=list)
    period: str | None = None
    summary: str | None = None
    unsupported: list[UnsupportedSentence] = field(default_factory=list)
    mode: str = "extractive"
    notice: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def sources(self) -> list[Citation]:
        """The cited articles, one per [n] in order: the dated ones, then the undated."""
        seen: dict[int, Citation] = {}
        for citation in [e.citation for e in self.entries] + self.undated:
            seen.setdefault(citation.n, citation)
        return list(seen.values())

    def to_json(self) -> TimelineJSON:
        return TimelineJSON(
            question=self.question, topic=self.topic, since=self.since, until=self.until, period=self.period,
            entries=[e.to_json() for e in self.entries],
            sources=[TimelineSourceJSON(n=c.n, article_id=c.article_id, title=c.title, date=c.date,
                                        source=public_source(c.source), url=c.url,
                                        also_in=[copy.to_json() for copy in c.also_in]) for c in self.sources],
            undated=[c.n for c in self.undated], summary=self.summary,
            unsupported=[u.to_json() for u in self.unsupported], mode=self.mode, notice=self.notice,
            timings_ms={k: round(v, 2) for k, v in self.timings_ms.items()})

    def to_dict(self) -> dict[str, Any]:
        """The timeline's JSON (`TimelineJSON`), as `qa timeline --json` and `POST /api/timeline` give it."""
        return self.to_json().model_dump()
