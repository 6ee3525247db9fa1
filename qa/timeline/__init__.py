"""A story's timeline: the key sentences of the articles about a topic, one line per dated
development, oldest first, each quoted and cited, copies of one story collapsed; with a
language model's checked summary on top in llm mode.

    >>> timeline = assistant.timeline("What has happened with the bus strike since Monday?")
    >>> for entry in timeline.entries:
    ...     print(entry.date, entry.sentence, f"[{entry.citation.n}]")

`period` reads the question's topic and dates, `select` picks the lines, `summary` writes and
checks the summary, `builder` runs them over the assistant's ranking, `models` holds the types
and their JSON.
"""

from qa.timeline.builder import MAX_ENTRIES, TimelineBuilder
from qa.timeline.models import Timeline, TimelineEntry, TimelineJSON
from qa.timeline.summary import TimelineSummarizer

__all__ = ["MAX_ENTRIES", "Timeline", "TimelineBuilder", "TimelineEntry", "TimelineJSON", "TimelineSummarizer"]
