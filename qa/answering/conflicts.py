"""Sources that disagree on what was asked: "Sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)".

Figures change as a story develops (a death toll, a vote count) and early reports get names
wrong. When a question asks for an amount, a count, a date, a person or a place, the sentences
that answer it about as well as the best one (`ConflictFinder.near`: holding the asked kind, with
evidence close to the lead quote's, published within `MAX_DAYS_APART` of it) are read for the value of that kind each states (`qa.answering.values`). Each story
speaks once: its best such sentence, wire copies of one story counting as one
(`story_of`, by default each article its own story). When two or more stories state values
that cannot be the same ("19" and "nineteen" are the same; "19" and "20" are not), the answer
carries a `Conflict`: each value with the marker of a citation that states it and that source's
date, newest first. The sources it names are cited (added to the answer's citations when they
are not already there).

A sentence holding several values of the kind ("19 died and 40 were injured") is read for the
one the question's words stand next to; when none stands out it is left out, as are vague
values ("dozens", "Tuesday"): a false "Sources differ" costs more trust than a missed one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.answering.answer import Decision, cite
from qa.answering.answer_type import (_LOCATIVE, SHORT_KINDS, Span, asked_measure, count_agrees, counted_nouns,
                                      measure_spans, new_spans, spans)
from qa.answering.lexical import terms
from qa.answering.scoring import Query, ScoredSentence
from qa.answering.values import Value, comparable, date_label, read_value, same
from qa.models import Answer, Citation, Conflict, ConflictValue

# The kinds a conflict is about, and what readers call them.
KIND_NAMES = {"money": "amount", "percent": "percent", "count": "count", "number": "number", "duration": "duration",
              "time": "time", "date": "date", "person": "person", "place": "place"}
assert set(KIND_NAMES) == set(SHORT_KINDS)
ROLE_AFTER, ROLE_BEFORE = 4, 5  # words after / before a value that say what it is of
# How far under the lead quote's evidence (cosine + word overlap, `scoring`) a sentence may be and
# still answer the question about as well. Evidence, not the judge's probability: the judge
# ranks one of two equally good answers far under the other (0.23 and 0.09 for the two drivers'
# names in tests/data/conflicts), evidence keeps them close (0.67 and 0.65) and an unrelated
# figure far ("Four people remain in hospital": 0.64 against 1.07 for "19 people died", 0.90 for
# "the death toll rose to 20").
EVIDENCE_MARGIN = 0.2
# A story develops over days and weeks; reports further apart than this are mostly of different
# events (this year's inductees and last year's; the 2017 eclipse and the 2024 one: RealTimeQA).
MAX_DAYS_APART = 60
_WORDS = re.compile(r"[\w'’-]+")
_MARKERS = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_JOINED_DATE = re.compile(r"\s*(?:,\s*|\s+|\s+of\s+)$")  # "November 6" + ", " + "2024"
_DAY_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?$", re.I)  # "6 " + "November"


def own_story(article_id: str) -> str:
    """Each article its own story (no wire-copy grouping known)."""
    return article_id


@dataclass(frozen=True)
class Stated:
    """What one story says: its value and the sentence that states it."""

    value: Value
    sentence: ScoredSentence
    story: str
    shown: str  # the value as the conflict line writes it

    @property
    def date(self) -> str | None:
        return self.sentence.hit.date


@dataclass(frozen=True)
class Disagreement:
    """Stories that state different values of `kind`: one `Stated` per value, newest first."""

    kind: str
    stated: tuple[Stated, ...]

    def as_note(self, number_of: Callable[[Stated], int]) -> str:
        """The disagreement for a language model's prompt: each value with its source's number and date."""
        parts = [f"[{number_of(s)}] ({s.date or 'undated'}) says {s.shown}" for s in self.stated]
        return f"The sources differ on the {KIND_NAMES[self.kind]} asked for: " + "; ".join(parts) + "."


class ConflictFinder:
    """Finds the disagreement among an answer's near candidates and cites it.

    Args:
        story_of: The story an article belongs to (`ArticleStore.stories.story_of`: wire
            copies of one story share it); values from one story count once.
    """

    def __init__(self, story_of: Callable[[str], str] = own_story, margin: float = EVIDENCE_MARGIN,
                 max_days_apart: int = MAX_DAYS_APART) -> None:
        self.story_of = story_of
        self.margin = margin
        self.max_days_apart = max_days_apart

    def near(self, decision: Decision) -> list[ScoredSentence]:
        """The lead quote, then the candidates the decider weighed that hold the kind asked for
        and whose evidence is within `margin` of the lead's, in the decider's order."""
        if decision.outcome != "answered" or not decision.chosen:
            return []
        lead = decision.chosen[0]
        return [lead] + [s for s, _ in decision.ranked
                         if s is not lead and s.type_match and s.evidence >= lead.evidence - self.margin
                         and self._same_time(lead.hit.date, s.hit.date)]

    def _same_time(self, a: str | None, b: str | None) -> bool:
        """Whether two reports are close enough in time to be of one developing story (both
        undated counts; one dated and one not does not)."""
        if a is None or b is None:
            return a is None and b is None
        days = abs((dt.date.fromisoformat(a[:10]) - dt.date.fromisoformat(b[:10])).days)
        return days <= self.max_days_apart

    def find(self, query: Query, decision: Decision) -> Disagreement | None:
        """The disagreement among the sentences that answer about as well as the lead
        (`near`), or None."""
        near = self.near(decision) if query.kind in KIND_NAMES else []
        if len(near) < 2:
            return None
        voices: dict[str, Stated] = {}
        for sentence in near:
            story = self.story_of(sentence.hit.article_id)
            if story in voices:
                continue  # each story speaks once, with its best sentence that states a value
            value = stated_value(query, sentence)
            if value is not None:
                voices[story] = Stated(value, sentence, story, value.text)
        if len(voices) < 2:
            return None
        lead = next(iter(voices.values())).value
        groups: list[list[Stated]] = []
        for stated in voices.values():
            if not comparable(lead, stated.value):
                continue  # a count of grams says nothing against a count of metres
            group = next((g for g in groups if any(same(s.value, stated.value) for s in g)), None)
            if group is None:
                groups.append([stated])
            else:
                group.append(stated)
        if len(groups) < 2:
            return None
        shown = [_representative(group) for group in groups]
        shown.sort(key=lambda s: s.date or "", reverse=True)  # newest first; undated last
        return Disagreement(query.kind, tuple(shown))

    def cite(self, answer: Answer, found: Disagreement | None, *, by_passage: bool = False) -> Answer:
        """`answer` with `found` as its conflict, each value cited: by a citation it already has
        that quotes the same sentence (`by_passage`, a generated answer's: that cites the same
        passage), else by one added after its citations."""
        if found is None or answer.abstained:
            return answer
        citations = list(answer.citations)
        values = []
        for stated in found.stated:
            citation = _citation_of(stated.sentence, citations, by_passage)
            if citation is None:
                s = stated.sentence
                citation = cite(max((c.n for c in citations), default=0) + 1, s.hit, s.start, s.end, s.evidence)
                citations.append(citation)
            values.append(ConflictValue(stated.shown, citation.n, stated.date))
        conflict = Conflict(KIND_NAMES[found.kind], tuple(values), conflict_line(values))
        return dataclasses.replace(answer, citations=citations, conflicts=[*answer.conflicts, conflict])


def values_stated(text: str, found: Disagreement) -> list[Stated]:
    """Which of the disagreeing values `text` (a generated answer) states."""
    text = _MARKERS.sub("", text)
    read = [read_value(found.kind, s.text, before=text[:s.start]) for s in kind_spans_in(text, found.kind)]
    return [stated for stated in found.stated if any(v is not None and same(v, stated.value) for v in read)]


def one_sided(text: str, found: Disagreement, conflict: Conflict) -> str | None:
    """A notice when a generated answer states only one of the values the sources differ on (as
    if the sources agreed), else None."""
    stated = values_stated(text, found)
    if len(stated) != 1:
        return None
    return (f"This answer gives only one of the values the sources state ({stated[0].shown}); "
            f"{conflict.text[0].lower()}{conflict.text[1:]}.")


def conflict_line(values: Sequence[ConflictValue]) -> str:
    """"Sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)"; the year too when the dates span several."""
    years = {v.date[:4] for v in values if v.date}
    parts = []
    for v in values:
        when = date_label(v.date, with_year=len(years) > 1)
        parts.append(f"{v.value} [{v.n}]" + (f" ({when})" if when else ""))
    return "Sources differ: " + ", ".join(parts)


def stated_value(query: Query, sentence: ScoredSentence) -> Value | None:
    """The value of the asked kind that `sentence` states for the question, or None (none, or
    several with none in the asked role)."""
    kind, text, hit = query.kind, sentence.text, sentence.hit
    assert kind is not None
    found: list[tuple[Span, Value]] = []
    for span in kind_spans(query, text):
        value = read_value(kind, span.text, before=text[:span.start], published=hit.date)
        # A person speaks for a source only by a full name: a lone capitalized word is as often
        # an outlet, a title or a place ("Sen", "Detroit", "Stone" of Stone v. Graham) as the person asked about.
        if value is not None and (kind != "person" or value.full_name):
            found.append((span, value))
    distinct: list[tuple[Span, Value]] = []
    for span, value in found:
        if not any(same(value, other) for _, other in distinct):
            distinct.append((span, value))
    if len(distinct) <= 1:
        return distinct[0][1] if distinct else None
    chosen = role_span(query.question, text, [span for span, _ in distinct])
    return next((value for span, value in distinct if span is chosen), None)


def kind_spans(query: Query, text: str) -> list[Span]:
    """The spans of the asked kind in `text` that may answer: not already in the question, of
    the counted noun ("how many mechanics?") or the asked measure ("how heavy?")."""
    kind = query.kind
    assert kind is not None
    if kind == "number" and (measure := asked_measure(query.question)):
        asked = query.question.lower()
        return [m for m in measure_spans(text, measure) if m.text.lower() not in asked]
    found = new_spans(text, kind, query.known)
    if kind == "count" and (nouns := counted_nouns(query.question)):
        found = [s for s in found if count_agrees(text, s, nouns)]
    if kind == "person":  # "in Northfield" is a place, whatever the question asks
        found = [s for s in found if not _LOCATIVE.search(text[max(0, s.start - 24):s.start])]
    if kind == "date":
        found = _whole_dates(text, found)
    return found


def kind_spans_in(text: str, kind: str) -> list[Span]:
    """Every span of `kind` in `text`, dates joined whole (no question to filter by)."""
    found = list(spans(text, kind))
    return _whole_dates(text, found) if kind == "date" else found


def role_span(question: str, text: str, found: Sequence[Span]) -> Span | None:
    """Which of several spans the question asks about: the one with the most of the question's
    words right after it ("19 people died") or, counting half, before it ("the toll rose to
    20"), when it has at least one and no other has as many."""
    asked = set(terms(question))
    scored = []
    for span in found:
        own = set(terms(span.text))
        after = set(terms(" ".join(_WORDS.findall(text[span.end:])[:ROLE_AFTER]))) - own
        before = set(terms(" ".join(_WORDS.findall(text[:span.start])[-ROLE_BEFORE:]))) - own
        scored.append((2 * len(after & asked) + len(before & asked), span))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def _whole_dates(text: str, found: list[Span]) -> list[Span]:
    """Date spans joined into whole dates: "November 6" and "2024" in "November 6, 2024" are one,
    and "6 November" takes its day."""
    joined: list[Span] = []
    for span in sorted(found, key=lambda s: s.start):
        start = span.start
        day = _DAY_BEFORE.search(text[:start])
        if day is not None and (not joined or joined[-1].end <= day.start()):
            start = day.start()
        if joined and _JOINED_DATE.fullmatch(text[joined[-1].end:start]) is not None:
            first = joined.pop()
            start = first.start
        joined.append(Span(span.kind, start, span.end, text[start:span.end]))
    return joined


def _representative(group: list[Stated]) -> Stated:
    """A value's voice in the conflict: its newest source (the best-scored among equals),
    written in the group's fullest form ("Mark Rutte" over "Rutte")."""
    newest = max(group, key=lambda s: s.date or "")  # max keeps the first (best-scored) of equals
    fullest = max((s.value.text for s in group), key=len)
    return dataclasses.replace(newest, shown=fullest if newest.value.kind == "person" else newest.shown)


def _citation_of(sentence: ScoredSentence, citations: Sequence[Citation], by_passage: bool) -> Citation | None:
    quote = sentence.text.strip()
    return next((c for c in citations if c.article_id == sentence.hit.article_id
                 and (c.quote == quote or by_passage and c.passage == sentence.hit.text)), None)
