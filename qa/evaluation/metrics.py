"""Scoring functions for `qa eval`: answer matching, ranking metrics and summary statistics.

Everything here works on plain sequences, so the metrics can be checked by hand and reused
by any dataset adapter. The definitions follow the public references they are
compared against:

* answer matching uses the official SQuAD v1.1 normalization;
* nDCG follows BEIR / trec_eval (linear gains, log2 discount, ideal ranking from the qrels);
* `percentile` is `numpy.percentile` with its default ("linear") method.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Normalize text exactly as the official SQuAD v1.1 evaluation script does.

    Lower-cases, removes ASCII punctuation (`string.punctuation`), removes the articles
    "a", "an" and "the" as whole words, and collapses runs of whitespace to single spaces.

    Args:
        text: Any answer or passage text.

    Returns:
        The normalized text, with no leading or trailing whitespace.
    """
    # Same order as the reference script: lower -> punctuation -> articles -> whitespace.
    # Punctuation goes before articles, so "the-end" becomes "theend" and keeps its "the".
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    """Tell whether a text contains one of the gold answers, on token boundaries.

    Both sides are SQuAD-normalized first, so case, punctuation and articles do not matter;
    the gold must then appear as a whole run of tokens ("1" does not match "10", while
    "Denver Broncos" matches "the Denver Broncos won").

    Args:
        text: A passage or generated answer.
        golds: The accepted answers.

    Returns:
        True when at least one gold answer occurs. Golds that normalize to nothing (empty,
        blank, or only punctuation/articles) never match.
    """
    # Normalized strings are single-space separated, so padding both with a space turns a
    # substring test into an exact token-sequence test.
    haystack = f" {normalize_answer(text)} "
    for gold in golds:
        needle = normalize_answer(gold)
        if needle and f" {needle} " in haystack:
            return True
    return False


def short_answer_right(short: str, golds: Iterable[str]) -> bool:
    """Tell whether a short answer ("Mark Rutte", "85,000") names a gold answer: it holds one
    ("Mark Rutte" for "Rutte") or one holds it ("85,000" in "about 85,000"), on token boundaries."""
    golds = list(golds)
    return contains_answer(short, golds) or any(contains_answer(gold, [short]) for gold in golds)


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """Return the 1-based position of the first relevant result.

    Args:
        flags: Per ranked result, whether it is relevant (best-ranked first).

    Returns:
        The rank of the first True, or None when no result is relevant.
    """
    for rank, flag in enumerate(flags, start=1):
        if flag:
            return rank
    return None


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first relevant result is within the top k.

    Args:
        ranks: Per question, the first relevant rank (see `first_relevant_rank`), or None.
        k: The cut-off.

    Returns:
        The share in [0, 1]; 0.0 for an empty list.
    """
    if not ranks:
        return 0.0
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank of the first relevant result.

    Args:
        ranks: Per question, the first relevant rank, or None (which scores 0).

    Returns:
        The mean of 1/rank over all questions; 0.0 for an empty list.
    """
    if not ranks:
        return 0.0
    return sum(1.0 / rank for rank in ranks if rank is not None) / len(ranks)


def _distinct(ids: Sequence[str]) -> list[str]:
    """The ids in order, each kept only at its first position."""
    # A run in BEIR / pytrec_eval is a dict, so a document can be ranked only once; later
    # copies (e.g. several chunks of one article) are dropped and the rest move up.
    return list(dict.fromkeys(ids))


def ndcg_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """Normalized discounted cumulative gain at k, as BEIR / trec_eval compute it.

    DCG = sum over the top k of rel_i / log2(i + 1), with i the 1-based rank and linear
    gains. The ideal DCG uses the judged relevances sorted descending and truncated to k,
    so relevant documents missing from the ranking still lower the score.

    Args:
        ranked_ids: Retrieved document ids, best first. A duplicated id counts only at its
            first position; later copies are dropped before cutting at k.
        relevance: Graded judgements (qrels) per document id; ids absent or judged <= 0
            are not relevant.
        k: The cut-off.

    Returns:
        nDCG@k in [0, 1]; 0.0 when no document is relevant (or k < 1).
    """
    gains = sorted((rel for rel in relevance.values() if rel > 0), reverse=True)[:max(k, 0)]
    ideal = sum(rel / math.log2(i + 1) for i, rel in enumerate(gains, start=1))
    if ideal == 0:
        return 0.0
    top = _distinct(ranked_ids)[:max(k, 0)]
    dcg = sum(max(relevance.get(doc, 0), 0) / math.log2(i + 1) for i, doc in enumerate(top, start=1))
    return dcg / ideal


def recall_of_set(ranked_ids: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant documents found in the top k.

    Args:
        ranked_ids: Retrieved document ids, best first; duplicates count once, at their
            first position, as in `ndcg_at_k`.
        relevant: The relevant ids: any iterable of ids, or a qrels mapping, in which case
            only ids with relevance > 0 count.
        k: The cut-off.

    Returns:
        The recall in [0, 1]; 0.0 when there are no relevant ids.
    """
    if isinstance(relevant, Mapping):
        wanted = {doc for doc, rel in relevant.items() if rel > 0}
    else:
        wanted = set(relevant)
    if not wanted:
        return 0.0
    found = wanted.intersection(_distinct(ranked_ids)[:max(k, 0)])
    return len(found) / len(wanted)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile: `numpy.percentile(values, p)` (method "linear"), None for no values.

    Interpolates linearly between the two closest ranks of the sorted values: the value
    sits at virtual index (n - 1) * p / 100.

    Args:
        values: The sample (e.g. latencies); any order.
        p: The percentile, in [0, 100].

    Returns:
        The percentile as a float; None for an empty sequence; NaN when a value is NaN
        (as numpy).

    Raises:
        ValueError: When p is outside [0, 100] (or NaN).
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {p!r}")
    if not values:
        return None
    return float(np.percentile(values, p))


def rate(flags: Iterable[bool]) -> float | None:
    """Share of True among the flags.

    Args:
        flags: One flag per item (e.g. whether each unanswerable question was abstained on).

    Returns:
        The share in [0, 1]; None when there are no flags, so a dataset without such
        questions reports "n/a" rather than a misleading 0.
    """
    total = hits = 0
    for flag in flags:
        total += 1
        hits += bool(flag)
    return hits / total if total else None
