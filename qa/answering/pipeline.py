"""The question's path, one typed step after another: a question (and its chat history) in, an
`Answer` out. `Assistant` owns one of these and is a thin facade over it.

    question, history --rank--> Ranking (Query + ScoredChunk best first) --answer--> Answer
                                                                   \\--trace--> Trace (+ the chunks)

rank: check the question; read the history into exchanges (`history.parse_history`, trimmed to
`history_chars`) and resolve a follow-up against them (`history.resolve`); read its
time words against the as-of date (`temporal`); retrieve (`retrieve.Retriever`: dense + keyword,
fused), falling back to all dates when a period named in the question finds nothing and adding
the period's own articles for "this week"; score every sentence of every candidate with its
stored evidence (`scoring`); keep one copy per wire story (`copies`); match the top chunks'
sentences token by token.
answer: the judge and the rules decide (`answer.Decider`) and the answer is quoted
(`answer.build_answer`), with a notice when it comes from outside the period asked about, and
"Sources differ" when the sentences that answer nearly as well state other values (`conflicts`).
Timings and the notice go into the `Answer` as it is made, never patched onto it afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.embedding.embed import Embedder
from index.errors import QAError
from index.loading.dates import parse_date
from index.models import Hit
from qa.answering.answer import EMPTY_INDEX, Decider, build_answer
from qa.answering.answer_type import expected_type
from qa.answering.conflicts import ConflictFinder
from qa.answering.copies import with_copies
from qa.answering.history import parse_history, resolve
from qa.answering.question import check_question
from qa.answering.retrieve import Retriever
from qa.answering.scoring import Query, ScoredChunk, match_sentence_tokens, score_chunks
from qa.answering.temporal import Window, date_range, strip_time_words, time_window
from qa.answering.weights import Weights
from qa.models import Answer


@dataclass(frozen=True)
class Limits:
    """How much the path reads (from `retrieval:` and `answer:` in the configuration)."""

    top_k: int = 5  # chunks an answer is chosen from
    candidates: int = 30  # chunks ranked
    max_question_chars: int = 2000
    history_chars: int = 4000


@dataclass(frozen=True)
class Ranking:
    """A question as understood (`Query`), its scored chunks best first, and its as-of date."""

    query: Query
    chunks: list[ScoredChunk]
    as_of: dt.date


@dataclass(frozen=True)
class Trace:
    """An answer with the ranked hits it was chosen from, their scores and the query."""

    answer: Answer
    hits: list[Hit]
    chunks: list[ScoredChunk] = field(default_factory=list)
    query: Query | None = None


class AnswerPipeline:
    """rank -> decide -> quote over one index (see the module)."""

    def __init__(self, search: Retriever, embedder: Embedder, decider: Decider, weights: Weights,
                 limits: Limits, conflicts: ConflictFinder | None = None) -> None:
        self.search, self.embedder, self.decider, self.weights, self.limits = search, embedder, decider, weights, limits
        self.conflicts = conflicts  # None: an answer never says "Sources differ"

    def rank(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
             until: str | None = None, as_of: str | dt.date | None = None, k: int | None = None) -> Ranking:
        """The question as understood and the chunks, best first (at least `k`, default
        `candidates`); the sentences of the first `top_k` are matched token by token. `history`
        is what `history.parse_history` reads (dicts, pairs, or `Exchange`s)."""
        limits = self.limits
        check_question(question, limits.max_question_chars)
        exchanges = parse_history(history, limits.history_chars)
        since_iso, until_iso = iso_or_error("since", since), iso_or_error("until", until)
        today = as_of_or_error(as_of)
        follow = resolve(question, exchanges)
        window = time_window(follow.resolved, today)
        asked_now = strip_time_words(follow.resolved) if window else follow.resolved
        retrieval_text = strip_time_words(follow.query) if window else follow.query
        pool = max(limits.candidates, limits.top_k, k or 0)
        named = since_iso is None and until_iso is None
        if named:
            since_iso, until_iso = date_range(question)  # "in February 2024" narrows the search
            named = since_iso is not None or until_iso is not None
        wanted = max(limits.top_k, k or 0)  # passages that must remain once wire copies are collapsed
        found = self.search.retrieve(retrieval_text, k=pool, since=since_iso, until=until_iso,
                                     distinct_at_least=wanted)
        if named and not found.hits:  # nothing published then: the date was about the events, search all
            found = self.search.retrieve(retrieval_text, k=pool, encoded=found, distinct_at_least=wanted)
        hits = list(found.hits)
        if window and not named:
            # "this week": make sure what was published then is among the candidates; it is
            # preferred when it carries the evidence (`Weights.recency`), never required.
            recent = self.search.retrieve(retrieval_text, k=limits.top_k, since=window.since, until=window.until,
                                          encoded=found)
            known = {h.chunk_id for h in hits}
            hits += [h for h in recent.hits if h.chunk_id not in known]
        # A follow-up is retrieved with its context but answered for what it asks now.
        vectors = found.vector if retrieval_text == asked_now else \
            np.stack([self.embedder.encode([asked_now])[0], found.vector])
        own_tokens = 0 if retrieval_text == asked_now else \
            min(self.embedder.content_token_counts([asked_now])[0], len(found.tokens))
        query = Query(asked=question.strip(), question=asked_now, retrieval=retrieval_text, vectors=vectors,
                      tokens=found.tokens, kind=expected_type(asked_now), window=window, context=follow.context,
                      as_of=today.isoformat(), own_tokens=own_tokens)
        chunks = score_chunks(query, self.search.with_evidence(hits), self.weights)
        # One copy per wire story, the best scored (`copies`); scored among all, so features are unchanged.
        chunks = self.search.distinct(chunks, lambda chunk: chunk.hit.article_id)
        match_sentence_tokens(query, chunks[:limits.top_k], self.embedder.content_token_counts)
        return Ranking(query, chunks, today)

    def answer(self, ranking: Ranking, timings_ms: dict[str, float] | None = None) -> Answer:
        """Decide and quote from a ranking: the extractive answer."""
        query, chunks = ranking.query, ranking.chunks
        if not chunks:
            return Answer(query.asked, EMPTY_INDEX, [], abstained=True, timings_ms=dict(timings_ms or {}))
        decision = self.decider.decide(query, chunks[:self.limits.top_k])
        answer = build_answer(query, decision)
        if self.conflicts is not None and decision.outcome == "answered":
            answer = self.conflicts.cite(answer, self.conflicts.find(query, decision))
        answer = self.with_copies(answer)
        notice = answer.notice
        if query.window and answer.citations and answer.outcome != "not_in_articles":
            notice = window_notice(query.window, ranking.as_of, answer.citations[0].date)
        return dataclasses.replace(answer, notice=notice, timings_ms=dict(timings_ms or answer.timings_ms))

    def with_copies(self, answer: Answer) -> Answer:
        """Each citation with the other copies of its story (`also_in`), when copies are collapsed."""
        return with_copies(answer, self.search.stories) if self.search.stories is not None else answer

    def trace(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
              until: str | None = None, as_of: str | dt.date | None = None, retrieve_k: int | None = None) -> Trace:
        """`rank` then `answer`, timed, also returning the ranked chunks; `retrieve_k` ranks deeper
        than the answer reads (evaluation measures recall@10 and @100)."""
        started = time.perf_counter()
        ranking = self.rank(question, history, since=since, until=until, as_of=as_of, k=retrieve_k)
        retrieved = time.perf_counter()
        answer = self.answer(ranking)
        done = time.perf_counter()
        timed = dataclasses.replace(answer, timings_ms={"retrieve": (retrieved - started) * 1000,
                                                        "answer": (done - retrieved) * 1000,
                                                        "total": (done - started) * 1000})
        return Trace(timed, [c.hit for c in ranking.chunks], ranking.chunks, ranking.query)


def iso_or_error(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    iso = parse_date(value)
    if iso is None:
        raise QAError(f"{name} {value!r} is not a date; use YYYY-MM-DD")
    return iso


def as_of_or_error(value: str | dt.date | None) -> dt.date:
    """The date time words are read against: `value`, or today."""
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    iso = iso_or_error("as_of", value)
    return dt.date.fromisoformat(iso)  # type: ignore[arg-type]


def window_notice(window: Window, as_of: dt.date, date: str | None) -> str | None:
    """Say so when the answer comes from outside the period the question named."""
    if date and window.since <= date <= window.until:
        return None
    when = f"published {window.phrase}" if window.phrase else "published in that period"
    source = f"an article of {date}" if date else "an undated article"
    return (f"No article {when} (as of {as_of.isoformat()}, {window.since} to {window.until}) answers this; "
            f"the answer comes from {source}.")
