"""The `qa eval` metrics against small examples whose expected values are worked out by hand.

log2 values used below: log2(2) = 1, log2(3) = 1.58496 (1/log2(3) = 0.63093), log2(4) = 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.evaluation.metrics import (
    contains_answer,
    first_relevant_rank,
    mean_reciprocal_rank,
    ndcg_at_k,
    normalize_answer,
    percentile,
    rate,
    recall_at_k,
    recall_of_set,
    short_answer_right,
)

# --- SQuAD normalization ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Denver Broncos!", "denver broncos"),  # case, article, punctuation
        ("  Hello,\t  World.\n", "hello world"),  # whitespace runs and ends collapse
        ("An apple a day", "apple day"),  # all three articles go ...
        ("Theater, banana and another", "theater banana and another"),  # ... only as whole words
        ("U.S.A. ($1,000)", "usa 1000"),  # punctuation is deleted, not replaced by a space
        ("the end-of-the-line", "endoftheline"),  # punctuation goes first: "-the-" is no longer a word
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_normalize_answer_keeps_non_ascii_punctuation() -> None:
    # The official script removes only string.punctuation (ASCII), so curly quotes stay.
    assert normalize_answer("“Café”") == "“café”"


# --- contains_answer ---------------------------------------------------------------------


def test_contains_answer_ignores_case_articles_and_punctuation() -> None:
    assert contains_answer("The Denver Broncos won Super Bowl 50.", ["Denver Broncos"])
    assert contains_answer("It cost $1,000.", ["1000"])


def test_contains_answer_respects_token_boundaries() -> None:
    assert not contains_answer("There were 10 people.", ["1"])
    assert contains_answer("There was only 1 person.", ["1"])
    assert not contains_answer("Broncosaurus fans", ["Broncos"])
    # A multi-word gold must appear as one contiguous run of tokens.
    assert not contains_answer("New Jersey and York", ["New York"])
    assert contains_answer("from New York.", ["New York"])


def test_contains_answer_any_gold_suffices() -> None:
    assert contains_answer("Paris, France", ["London", "Paris"])
    assert not contains_answer("Paris, France", ["London", "Rome"])


def test_contains_answer_blank_golds_never_match() -> None:
    # "the" and "." normalize to "", which would otherwise match every text.
    assert not contains_answer("the answer is here", ["", "   ", "the", "."])
    assert not contains_answer("anything", [])


# --- first_relevant_rank, recall@k, MRR --------------------------------------------------


def test_a_short_answer_is_right_when_it_holds_a_gold_or_a_gold_holds_it() -> None:
    assert short_answer_right("Mark Rutte", ["Rutte"])  # it holds one
    assert short_answer_right("85,000", ["about 85,000 people"])  # one holds it
    assert not short_answer_right("Macron", ["Mark Rutte"])
    assert not short_answer_right("10", ["100 years"])  # on token boundaries
    assert not short_answer_right("85,000", [])  # an unanswerable question has no right short answer


def test_first_relevant_rank() -> None:
    assert first_relevant_rank([False, False, True, True]) == 3
    assert first_relevant_rank([True]) == 1
    assert first_relevant_rank([False, False]) is None
    assert first_relevant_rank([]) is None


RANKS = [1, 3, None, 2, 7]  # five questions; the third has no relevant result


def test_recall_at_k() -> None:
    assert recall_at_k(RANKS, 1) == pytest.approx(0.2)  # only rank 1: 1/5
    assert recall_at_k(RANKS, 3) == pytest.approx(0.6)  # ranks 1, 3, 2: 3/5
    assert recall_at_k(RANKS, 5) == pytest.approx(0.6)  # rank 7 is still out: 3/5
    assert recall_at_k(RANKS, 10) == pytest.approx(0.8)  # ranks 1, 3, 2, 7: 4/5 (None never counts)


def test_mean_reciprocal_rank() -> None:
    # (1/1 + 1/3 + 0 + 1/2 + 1/7) / 5 = (1 + 0.33333 + 0.5 + 0.14286) / 5 = 1.97619 / 5 = 0.39524
    assert mean_reciprocal_rank(RANKS) == pytest.approx(0.395238, abs=1e-6)


def test_recall_and_mrr_of_empty_or_unanswered_lists() -> None:
    assert recall_at_k([], 5) == 0.0
    assert mean_reciprocal_rank([]) == 0.0
    assert recall_at_k([None, None], 5) == 0.0
    assert mean_reciprocal_rank([None, None]) == 0.0


# --- nDCG@k ------------------------------------------------------------------------------


def test_ndcg_graded_relevance() -> None:
    ranking = ["d1", "d2", "d3", "d4"]
    qrels = {"d1": 1, "d2": 0, "d3": 2}
    # DCG  = 1/log2(2) + 0/log2(3) + 2/log2(4) = 1 + 0 + 1 = 2
    # IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093 = 2.63093
    # 2 / 2.63093 = 0.76019
    assert ndcg_at_k(ranking, qrels) == pytest.approx(0.76019, abs=1e-5)


def test_ndcg_ideal_ranking_scores_one() -> None:
    assert ndcg_at_k(["d3", "d1", "d2"], {"d1": 1, "d2": 0, "d3": 2}) == pytest.approx(1.0)


def test_ndcg_relevant_at_rank_three() -> None:
    # (1/log2(2) + 1/log2(4)) / (1/log2(2) + 1/log2(3)) = 1.5 / 1.63093 = 0.91972
    assert ndcg_at_k(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(0.91972, abs=1e-5)


def test_ndcg_k_truncates_the_ranking() -> None:
    # The only relevant doc is at rank 3: outside the top 2, inside the top 3.
    assert ndcg_at_k(["x", "y", "d1"], {"d1": 1}, k=2) == 0.0
    # (1/log2(4)) / (1/log2(2)) = 0.5 / 1 = 0.5
    assert ndcg_at_k(["x", "y", "d1"], {"d1": 1}, k=3) == pytest.approx(0.5)


def test_ndcg_k_truncates_the_ideal_ranking() -> None:
    # Three relevant docs but k = 2, so the ideal list is cut to two as well:
    # (1/log2(2) + 1/log2(3)) / (1/log2(2) + 1/log2(3)) = 1.63093 / 1.63093 = 1
    assert ndcg_at_k(["a", "b", "c"], {"a": 1, "b": 1, "c": 1}, k=2) == pytest.approx(1.0)


def test_ndcg_default_k_is_ten() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["a"]  # the relevant doc is at rank 11
    assert ndcg_at_k(ranking, {"a": 1}) == 0.0
    # (1/log2(12)) / (1/log2(2)) = 1 / 3.58496 = 0.27894
    assert ndcg_at_k(ranking, {"a": 1}, k=11) == pytest.approx(0.27894, abs=1e-5)


def test_ndcg_relevant_doc_missing_from_ranking() -> None:
    # "b" is relevant but never retrieved, so it still counts in the ideal DCG:
    # (1/log2(2)) / (1/log2(2) + 1/log2(3)) = 1 / 1.63093 = 0.61315
    assert ndcg_at_k(["a", "x", "y"], {"a": 1, "b": 1}) == pytest.approx(0.61315, abs=1e-5)


def test_ndcg_without_relevant_documents_is_zero() -> None:
    assert ndcg_at_k(["a", "b"], {}) == 0.0
    assert ndcg_at_k(["a", "b"], {"a": 0, "b": 0}) == 0.0
    assert ndcg_at_k([], {"a": 1}) == 0.0


def test_ndcg_duplicates_count_once_at_first_position() -> None:
    # ["a", "a", "b"] is scored as ["a", "b"], the ideal ranking: 1.63093 / 1.63093 = 1
    assert ndcg_at_k(["a", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    # The copy of "a" earns nothing: (1/log2(2)) / (1/log2(2) + 1/log2(3)) = 1 / 1.63093 = 0.61315
    assert ndcg_at_k(["a", "a"], {"a": 1, "b": 1}) == pytest.approx(0.61315, abs=1e-5)


# --- recall_of_set -----------------------------------------------------------------------


def test_recall_of_set() -> None:
    ranking, relevant = ["a", "x", "b", "c"], {"a", "b", "d"}
    assert recall_of_set(ranking, relevant, 1) == pytest.approx(1 / 3)  # top 1 = {a}: 1/3 = 0.33333
    assert recall_of_set(ranking, relevant, 3) == pytest.approx(2 / 3)  # top 3 = {a, x, b}: 2/3 = 0.66667
    assert recall_of_set(ranking, relevant, 10) == pytest.approx(2 / 3)  # "d" never retrieved: still 2/3


def test_recall_of_set_with_qrels_mapping() -> None:
    # Relevant = {a, c} (b is judged 0); the top 2 holds c only: 1/2 = 0.5
    assert recall_of_set(["b", "c"], {"a": 2, "b": 0, "c": 1}, k=2) == pytest.approx(0.5)


def test_recall_of_set_accepts_any_iterable_and_dedupes() -> None:
    # Generator input; ["a", "a", "b"] is ["a", "b"], so "b" is in the top 2: 1/1 = 1
    assert recall_of_set(["a", "a", "b"], (doc for doc in ["b"]), k=2) == pytest.approx(1.0)


def test_recall_of_set_without_relevant_documents_is_zero() -> None:
    assert recall_of_set(["a"], [], k=5) == 0.0
    assert recall_of_set(["a"], {"a": 0}, k=5) == 0.0


# --- percentile --------------------------------------------------------------------------


def test_percentile_hand_checked() -> None:
    # [1, 2, 3, 4] at p=50: index (4-1) * 0.5 = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5
    assert percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    # [15, 20, 35, 40, 50] at p=90: index (5-1) * 0.9 = 3.6 -> 40 + 0.6 * (50 - 40) = 46
    assert percentile([15, 20, 35, 40, 50], 90) == pytest.approx(46.0)
    # p=0 and p=100 are the minimum and the maximum
    assert percentile([15, 20, 35, 40, 50], 0) == 15.0
    assert percentile([15, 20, 35, 40, 50], 100) == 50.0


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, 3.0, 4.0],
        [3.5, -1.0, 10.0, 2.25, 7.0],  # unsorted, negative
        [10, 20],  # integers
        [0.012, 0.3, 0.045, 0.31, 0.09, 1.7, 0.2, 0.021, 0.5, 0.033, 0.08],  # latency-like
    ],
)
def test_percentile_matches_numpy(values: list[float]) -> None:
    for p in [0, 1, 25, 33.3, 50, 90, 95, 99, 100]:
        assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)), rel=1e-12), p


def test_percentile_single_value_and_empty() -> None:
    assert percentile([7.5], 0) == 7.5
    assert percentile([7.5], 95) == 7.5
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [-1, 100.5, float("nan")])
def test_percentile_rejects_p_outside_range(p: float) -> None:
    with pytest.raises(ValueError, match=str(p)):
        percentile([1.0, 2.0], p)


# --- rate --------------------------------------------------------------------------------


def test_rate() -> None:
    assert rate([True, False, True, True]) == pytest.approx(0.75)  # 3/4
    assert rate([False, False]) == 0.0
    assert rate(flag for flag in [True, False]) == pytest.approx(0.5)  # one-shot iterable: 1/2


def test_rate_of_nothing_is_none() -> None:
    assert rate([]) is None
