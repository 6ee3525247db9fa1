"""Ranked chunks about a topic -> one quoted, cited line per dated development.

The chunks come from the assistant's ranking (`AnswerPipeline.rank`), every sentence already
scored against the topic (`qa.answering.scoring`: cosine, IDF-weighted shared words). Here:

1. Each article's quotable sentences are gathered from its retrieved chunks (a sentence seen in
   two overlapping chunks counts once, with its best evidence).
2. An article is about the topic when its best sentence's evidence reaches `floor` (the
   assistant's own "still on topic" line: `answer.abstain_threshold` - `relevance_margin`) and
   one of its chunks holds at least half of the topic's words, weighted by rarity (`MAX_MISSING`:
   "the Key Bridge collapse" is not another bridge's collapse).
3. Copies of one story (`story_of`: the same wire story in several outlets) give one entry: the
   earliest copy's (the story's id), the others listed in its citation's `also_in` (all
   the story's known copies, from `copies_of`, when given; else the retrieved ones).
   Copies whose story's first report is not among the relevant articles (published before the
   period asked about: a reprint of older news) give none.
4. Articles are read oldest first. Each gives its lede (its first sentence: in news, the day's
   development) when the lede is on topic (evidence at least `floor`); otherwise, or when its
   first chunk was not retrieved, its best sentence and, when nearly as good (within
   `second_margin`) and on topic, a second one. A sentence nearly identical to one
   already kept (`near_identical`) is not a new development: the next one is tried instead; when
   an article's best sentence repeats one published the same day by another article, that
   article is taken as a copy of it (a wire copy `story_of` did not know about).
5. At most `limit` lines are kept (the best scored), shown in date order, then in the order the
   ranking found their articles, then in article order; the articles are numbered [1], [2]...
   in that order.

Undated articles cannot be placed on a timeline: they are left out of the lines and returned
apart (their best sentence, numbered after the dated sources), at most `max_undated` of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from index.models import Hit
from qa.answering.answer import cite
from qa.answering.lexical import terms
from qa.answering.scoring import ScoredChunk, ScoredSentence
from qa.models import Citation, Copy
from qa.timeline.models import TimelineEntry

StoryOf = Callable[[str], str]
# An article's story's other copies, earliest first, as `index.storage.stories.StoryMember`s (or
# anything with article_id, title, date, source and url).
CopiesOf = Callable[[str], Sequence[Any]]
# Two sentences are the same development when they share this much of their content words
# (Jaccard) ...
SAME_JACCARD = 0.6
# ... or when nearly all the words of the shorter one are in the longer one.
SAME_CONTAINED = 0.85
# An article none of whose chunks holds more than this share of the topic's words (IDF-weighted,
# `ScoredChunk.missing`) is about something else.
MAX_MISSING = 0.5


def same_article(article_id: str) -> str:
    """The default `story_of`: every article is its own story."""
    return article_id


@dataclass
class _Article:
    """One retrieved article: its metadata (from one of its hits) and its gathered sentences."""

    hit: Hit
    rank: int  # the rank of its best chunk
    sentences: dict[int, ScoredSentence] = field(default_factory=dict)  # by offset in the article
    lede: ScoredSentence | None = None  # its first quotable sentence, when its first chunk was retrieved
    missing: float = 1.0  # the least share of the topic's words missing from one of its chunks

    @property
    def article_id(self) -> str:
        return self.hit.article_id

    @property
    def date(self) -> str | None:
        return self.hit.date

    @property
    def best(self) -> float:
        return max((s.evidence for s in self.sentences.values()), default=0.0)

    def ranked(self) -> list[ScoredSentence]:
        """Its sentences, best evidence first (earlier in the article on a tie)."""
        return sorted(self.sentences.values(), key=lambda s: (-s.evidence, s.key[1]))

    def copy(self) -> Copy:
        return Copy(self.article_id, self.hit.title, self.date, self.hit.source, self.hit.url)


@dataclass
class _Line:
    article: _Article
    sentence: ScoredSentence
    words: frozenset[str]
    copies: list[Copy] = field(default_factory=list)  # same-day repeats, found by their sentence


@dataclass(frozen=True)
class Developments:
    """What `select` found: the dated lines in date order, the undated articles' best
    sentences, and how many dated lines there were before `limit` cut them."""

    entries: list[TimelineEntry]
    undated: list[Citation]
    found: int


def near_identical(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sentences' content words make them the same statement (a wire copy, a
    lede repeated as background)."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared / len(a | b) >= SAME_JACCARD or shared / min(len(a), len(b)) >= SAME_CONTAINED


def select(chunks: Sequence[ScoredChunk], *, floor: float, story_of: StoryOf = same_article,
           copies_of: CopiesOf | None = None, limit: int = 20, per_article: int = 2, second_margin: float = 0.1,
           max_undated: int = 5) -> Developments:
    """The developments in `chunks` (ranked, best first; see the module)."""
    articles = [a for a in _gather(chunks) if a.best >= floor and a.missing <= MAX_MISSING]
    representatives, story_copies = _collapse_stories(articles, story_of, copies_of)
    dated = sorted((a for a in representatives if a.date), key=lambda a: (a.date, a.rank))
    lines: list[_Line] = []
    for article in dated:
        lines += _lines_of(article, lines, floor=floor, per_article=per_article, second_margin=second_margin)
    found = len(lines)
    if len(lines) > limit:
        best = {id(line) for line in sorted(lines, key=lambda line: -line.sentence.evidence)[:limit]}
        lines = [line for line in lines if id(line) in best]
    lines.sort(key=lambda line: (line.article.date, line.article.rank, line.sentence.key[1]))
    numbers: dict[str, int] = {}
    entries = []
    for line in lines:
        n = numbers.setdefault(line.article.article_id, len(numbers) + 1)
        copies = list({c.article_id: c for c in story_copies.get(line.article.article_id, []) + line.copies}.values())
        entries.append(TimelineEntry(line.article.date, line.sentence.text.strip(),
                                     _citation(n, line.sentence, copies)))
    undated = []
    for article in [a for a in representatives if not a.date][:max_undated]:
        sentence = article.ranked()[0]
        undated.append(_citation(len(numbers) + len(undated) + 1, sentence,
                                 story_copies.get(article.article_id, [])))
    return Developments(entries, undated, found)


def _gather(chunks: Sequence[ScoredChunk]) -> list[_Article]:
    """The articles of `chunks`, in the order of their best chunk, with their quotable sentences."""
    articles: dict[str, _Article] = {}
    for rank, chunk in enumerate(chunks):
        article = articles.setdefault(chunk.hit.article_id, _Article(chunk.hit, rank))
        article.missing = min(article.missing, chunk.missing)
        for sentence in chunk.sentences:
            if not sentence.quotable or not sentence.text.strip():
                continue
            offset = sentence.key[1]
            known = article.sentences.get(offset)
            if known is None or sentence.evidence > known.evidence:
                article.sentences[offset] = sentence
            if chunk.hit.ordinal == 0 and (article.lede is None or offset <= article.lede.key[1]):
                article.lede = article.sentences[offset]
    return [a for a in articles.values() if a.sentences]


def _collapse_stories(articles: list[_Article], story_of: StoryOf,
                      copies_of: CopiesOf | None) -> tuple[list[_Article], dict[str, list[Copy]]]:
    """One article per story, the story's representative (its id: the earliest copy, as the story
    index decides; every article is its own with `same_article`); the others as its copies. A story
    whose representative is not among `articles` gives none (see the module, step 3)."""
    stories: dict[str, list[_Article]] = {}
    for article in articles:
        stories.setdefault(story_of(article.article_id), []).append(article)
    representatives, copies = [], {}
    for story, members in stories.items():
        first = next((a for a in members if a.article_id == story), None)
        if first is None:
            continue  # its first report is not here: older news republished
        others = [a for a in members if a is not first]
        representatives.append(first)
        known = [Copy(m.article_id, m.title, m.date, m.source, m.url) for m in copies_of(first.article_id)] \
            if copies_of is not None else [a.copy() for a in others]
        if known:
            copies[first.article_id] = known
    representatives.sort(key=lambda a: a.rank)
    return representatives, copies


def _lines_of(article: _Article, kept: list[_Line], *, floor: float, per_article: int,
              second_margin: float) -> list[_Line]:
    """Up to `per_article` new developments of `article` (see the module, step 4)."""
    picked: list[_Line] = []
    order = article.ranked()
    lede = article.lede
    if lede is not None and lede.evidence >= floor:
        # The lede states the day's development; the sentences that score higher than it are
        # mostly background that names the topic more often ("the last strike, in 2009, ...").
        order, per_article = [lede, *(s for s in order if s is not lede)], 1
    for place, sentence in enumerate(order):
        if len(picked) == per_article or sentence.evidence < floor:
            break
        if picked and sentence.evidence < picked[0].sentence.evidence - second_margin:
            break
        words = frozenset(terms(sentence.text))
        repeated = next((line for line in [*kept, *picked] if near_identical(words, line.words)), None)
        if repeated is None:
            picked.append(_Line(article, sentence, words))
            continue
        if place == 0 and repeated.article is not article and repeated.article.date == article.date:
            repeated.copies.append(article.copy())  # the same report, the same day: a copy
            return []
    return picked


def _citation(n: int, sentence: ScoredSentence, copies: list[Copy]) -> Citation:
    citation = cite(n, sentence.hit, sentence.start, sentence.end, sentence.evidence)
    return dataclasses.replace(citation, also_in=tuple(copies)) if copies else citation
