"""Periods named in a question become a publication date range."""

from __future__ import annotations

import pytest

import datetime as dt

from qa.answering.temporal import date_range, strip_time_words, time_window


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


AS_OF = dt.date(2024, 3, 14)  # a Thursday


@pytest.mark.parametrize("question, since, until", [
    ("What happened today?", "2024-03-14", "2024-03-14"),
    ("What did the union say yesterday?", "2024-03-13", "2024-03-13"),
    ("What happened this week?", "2024-03-08", "2024-03-14"),
    ("what happened last week", "2024-03-01", "2024-03-07"),
    ("What did they agree last month?", "2024-02-01", "2024-02-29"),
    ("What's the latest on the strike?", "2024-02-13", "2024-03-14"),
    ("Who recently resigned?", "2024-02-13", "2024-03-14"),
    ("How many cases so far this year?", "2024-01-01", "2024-03-14"),
    ("What happened this month?", "2024-03-01", "2024-03-14"),
])
def test_time_words_against_the_as_of_date(question: str, since: str, until: str) -> None:
    window = time_window(question, AS_OF)
    assert window is not None and (window.since, window.until) == (since, until)


def test_no_time_word_no_window() -> None:
    assert time_window("Who won the derby?", AS_OF) is None
    assert time_window("What is the new price?", AS_OF) is None  # "new" names no period


def test_time_words_are_stripped_for_matching() -> None:
    assert strip_time_words("What's the latest on the strike?") == "What's the on the strike?"
    assert strip_time_words("What did the union say this week?") == "What did the union say ?"
