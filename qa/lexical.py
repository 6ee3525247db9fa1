"""Word-level helpers for answer selection: content terms and their overlap."""

from __future__ import annotations

import math
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
    """Stemmed, lower-cased content words."""
    words = (w.lower().replace("’", "'") for w in _WORD.findall(text))
    out = []
    for word in words:
        word = word.removesuffix("'s")
        if word not in STOPWORDS and len(word) > 1:
            out.append(stem(word))
    return out


def idf_weights(question_terms: set[str], documents: list[set[str]]) -> dict[str, float]:
    """Inverse document frequency of each question term among `documents`.

    Computed over the candidate sentences themselves: a word found in every candidate (the
    name the whole article is about) tells little, a rare word or a missing one tells a lot.
    """
    n = len(documents)
    return {t: math.log((n + 1) / (sum(1 for d in documents if t in d) + 0.5)) for t in question_terms}


def overlap(weights: dict[str, float], sentence_terms: set[str]) -> float:
    """IDF-weighted share of the question's content terms present in a sentence, in [0, 1]."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in sentence_terms) / total
