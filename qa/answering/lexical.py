"""Word-level helpers for answer selection: content terms and their overlap."""

from __future__ import annotations

import math

from index.tokens import STOPWORDS, stem, terms

__all__ = ["STOPWORDS", "idf_weights", "overlap", "stem", "terms"]


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
