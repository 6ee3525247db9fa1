"""Wire copies at question time: one copy per story among the passages, the others named in its
citation ("Also published by N outlets"; JSON `also_in`).

Which articles are copies of one story is the store's to say (`index.storage.stories`, decided at
ingest). Here, the ranked passages keep, per story, the copy whose chunk scores best for this
question (its other chunks too): a fixed copy (the earliest, the fullest) would often not be the one
holding the matching passage, as edited copies differ in the very paragraphs an editor cut or
rewrote. Chunks of the story's other copies make room for other reporting. Copies are collapsed
after scoring, so the candidates every passage is scored among are the same either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from index.storage.stories import StoryMember
from qa.models import Answer, Citation, Copy


class Stories(Protocol):
    """What the question path needs of a store's stories (`index.storage.stories.StoryIndex`)."""

    def stories_of(self, article_ids: Iterable[str]) -> dict[str, str]: ...

    def copy_members(self, article_id: str) -> list[StoryMember]: ...


T = TypeVar("T")


def one_copy_per_story(items: Sequence[T], article_of: Callable[[T], str], stories: Stories) -> list[T]:
    """Ranked items (hits, scored chunks), in order, only those of the first article met of each
    story kept: all of its chunks, none of its copies'."""
    articles = [article_of(item) for item in items]
    story_of = stories.stories_of(articles)  # one query for the lot
    kept: dict[str, str] = {}  # story id -> the article kept for it
    return [item for item, article in zip(items, articles, strict=True)
            if kept.setdefault(story_of[article], article) == article]


def with_copies(answer: Answer, stories: Stories) -> Answer:
    """`answer` with each citation's `also_in`: the other copies of its story, earliest first."""
    if not answer.citations:
        return answer
    return dataclasses.replace(answer, citations=[_cited_copies(c, stories) for c in answer.citations])


def _cited_copies(citation: Citation, stories: Stories) -> Citation:
    copies = tuple(Copy(article_id=m.article_id, title=m.title, date=m.date, source=m.source, url=m.url)
                   for m in stories.copy_members(citation.article_id))
    return dataclasses.replace(citation, also_in=copies)
