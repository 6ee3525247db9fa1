"""A topic (or a question about one) in, a `Timeline` out: read the period, rank, select, summarise.

    question --read_period--> topic, since, until --rank (deeper than an answer)--> scored chunks
             --select--> dated lines, undated articles --summarise (llm mode)--> Timeline
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from index.errors import EmptyQuestionError, QAError
from qa.answering.pipeline import Ranking, as_of_or_error, iso_or_error
from qa.answering.question import check_question
from qa.timeline.models import Timeline
from qa.timeline.period import read_period
from qa.timeline.select import CopiesOf, StoryOf, same_article, select
from qa.timeline.summary import TimelineSummarizer

MAX_ENTRIES = 100
DEFAULT_ENTRIES = 20
# Chunks ranked for a timeline: an answer reads 5, a story's developments are spread over many
# articles (each article gives one or two lines).
CHUNKS = 40

Rank = Callable[..., Ranking]  # `Assistant.rank(question, history, *, since, until, as_of, k)`


class TimelineBuilder:
    """Builds timelines over one assistant's ranking.

    Args:
        rank: The ranking (`Assistant.rank`).
        floor: The evidence from which an article is about the topic (the assistant's
            `answer.abstain_threshold` minus its `relevance_margin`).
        story_of: An article's story (`ArticleStore.stories.story_of`): copies of one story give
            one line. Default: every article is its own story.
        copies_of: A story's other copies (`ArticleStore.stories.copy_members`), listed in its
            line's citation; default: the copies that were retrieved.
        summarizer: The language model's checked summary (llm mode), or None.
        chunks: Chunks ranked per timeline.
        max_topic_chars: The longest question taken (`answer.max_question_chars`).
    """

    def __init__(self, rank: Rank, *, floor: float, story_of: StoryOf | None = None,
                 copies_of: CopiesOf | None = None, summarizer: TimelineSummarizer | None = None,
                 chunks: int = CHUNKS, max_topic_chars: int = 2000) -> None:
        self.rank = rank
        self.floor = floor
        self.story_of = story_of or same_article
        self.copies_of = copies_of
        self.summarizer = summarizer
        self.chunks = chunks
        self.max_topic_chars = max_topic_chars

    def build(self, question: str, *, since: str | None = None, until: str | None = None,
              as_of: str | dt.date | None = None, limit: int = DEFAULT_ENTRIES) -> Timeline:
        """The timeline of `question` (see `qa.api.Assistant.timeline`)."""
        started = time.perf_counter()
        check_question(question, self.max_topic_chars)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_ENTRIES:
            raise QAError(f"limit must be a whole number from 1 to {MAX_ENTRIES}, not {limit!r}")
        since_iso, until_iso = iso_or_error("since", since), iso_or_error("until", until)
        today = as_of_or_error(as_of)
        period = read_period(question, today)
        if not period.topic:
            raise EmptyQuestionError(f"no story named in {question.strip()!r}: say what the timeline is about, "
                                     "e.g. 'the bus strike since Monday'")
        phrase = period.phrase
        if since_iso is None and until_iso is None:
            since_iso, until_iso = period.since, period.until
        else:
            phrase = None  # the request's dates win over the question's
        if since_iso and until_iso and since_iso > until_iso:
            raise QAError(f"the period is empty: since {since_iso} is after until {until_iso}")
        ranking = self.rank(period.topic, None, since=since_iso, until=until_iso, as_of=today, k=self.chunks)
        ranked = time.perf_counter()
        found = select(ranking.chunks, floor=self.floor, story_of=self.story_of, copies_of=self.copies_of,
                       limit=limit)
        selected = time.perf_counter()
        timeline = Timeline(question=question.strip(), topic=period.topic, since=since_iso, until=until_iso,
                            entries=found.entries, undated=found.undated, period=phrase,
                            notice=_notice(period.topic, since_iso, until_iso, found.found, len(found.entries)))
        timings = {"retrieve": (ranked - started) * 1000, "select": (selected - ranked) * 1000}
        if self.summarizer is not None:
            summary = self.summarizer.summarize(period.topic, found.entries)
            timeline.mode, timeline.summary, timeline.unsupported = "llm", summary.text, summary.unsupported
            timeline.notice = " ".join(filter(None, [timeline.notice, summary.notice])) or None
            timings["summary"] = (time.perf_counter() - selected) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        timeline.timings_ms = timings
        return timeline


def _notice(topic: str, since: str | None, until: str | None, found: int, shown: int) -> str | None:
    if found == 0:
        return f"No indexed article{_published(since, until)} is about “{topic}”."
    if shown < found:
        return f"The {shown} most relevant of {found} developments are shown."
    return None


def _published(since: str | None, until: str | None) -> str:
    if since and until:
        return f" published from {since} to {until}"
    if since:
        return f" published since {since}"
    if until:
        return f" published until {until}"
    return ""

