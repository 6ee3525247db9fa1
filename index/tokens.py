"""Words for keyword search and lexical scoring: lower-cased, stop words out, crudely stemmed.

Shared by the keyword index (here) and answer selection (`qa.answering.lexical`), so that a question's
words and an article's words are cut the same way.
"""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves also did does said says
    tell say according much many whose
    """.split()
)


def stem(word: str) -> str:
    """A crude English stemmer: common inflections off, then the first 6 characters."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    return word[:6]


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased content words, in order."""
    return [t for t in map(_term, _WORD.findall(text)) if t is not None]


@functools.lru_cache(maxsize=1 << 18)
def _term(word: str) -> str | None:
    # Cached: words recur (Zipf), and this is most of the keyword index's build time.
    word = word.lower().replace("’", "'").removesuffix("'s")
    return stem(word) if word not in STOPWORDS and len(word) > 1 else None
