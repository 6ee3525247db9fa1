"""Periods named in a question become a publication date range."""

from __future__ import annotations

import pytest

from qa.temporal import date_range


@pytest.mark.parametrize("question, expected", [
    ("What did Macron say in February 2024?", ("2024-02-01", "2024-02-29")),
    ("What happened in February 2023?", ("2023-02-01", "2023-02-28")),
    ("What happened on 27 February 2024?", ("2024-02-27", "2024-02-27")),
    ("What was said on February 27th, 2024?", ("2024-02-27", "2024-02-27")),
    ("Reports from 2024-02-27?", ("2024-02-27", "2024-02-27")),
    ("Any news since March 2024?", ("2024-03-01", None)),
    ("What changed after Jan 2024?", ("2024-01-01", None)),
    ("What was known before Sept. 2023?", (None, "2023-09-30")),
    ("Which deals were signed until 3 May 2024?", (None, "2024-05-03")),
])
def test_named_periods(question: str, expected: tuple) -> None:
    assert date_range(question) == expected


@pytest.mark.parametrize("question", [
    "What did the 1992 treaty say?",  # a bare year is usually the subject, not the period
    "What did Macron announce about missiles?",
    "What happened on 31 February 2024?",  # no such day
    "Who won in 2024?",
])
def test_no_period(question: str) -> None:
    assert date_range(question) == (None, None)
