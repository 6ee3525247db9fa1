"""Dates named in a question -> a publication date range.

"What did Macron say in February 2024?" narrows the search to articles published in February
2024. Only explicit calendar periods count (a day, a month of a year, "since"/"before" one):
a bare year is too often what the question is about ("the 1992 treaty") rather than when the
article appeared. If nothing was published in the period, the caller searches everything.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I)
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I)
_ISO_DAY = re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b", re.I)
_OPEN = re.compile(r"\b(?P<word>since|after|before|until|till|by)\s+(?:the\s+)?$", re.I)


def _month(value: str) -> int:
    return int(value) if value.isdigit() else _MONTHS[value.lower().rstrip(".")]


def date_range(question: str) -> tuple[str | None, str | None]:
    """(since, until) as ISO dates, either None where the question sets no bound."""
    for pattern, has_day in ((_ISO_DAY, True), (_DAY_FIRST, True), (_MONTH_FIRST, True), (_MONTH_YEAR, False)):
        match = pattern.search(question)
        if not match:
            continue
        year, month = int(match.group("year")), _month(match.group("month"))
        try:
            if has_day:
                first = last = dt.date(year, month, int(match.group("day")))
            else:
                first = dt.date(year, month, 1)
                last = dt.date(year, month, calendar.monthrange(year, month)[1])
        except ValueError:
            return None, None  # "31 February": no such day, no filter
        opener = _OPEN.search(question[: match.start()])
        word = opener.group("word").lower() if opener else ""
        if word in ("since", "after"):
            return first.isoformat(), None
        if word in ("before", "until", "till", "by"):
            return None, last.isoformat()
        return first.isoformat(), last.isoformat()
    return None, None


# -- time words, relative to an as-of date ----------------------------------------------------

@dataclass(frozen=True)
class Window:
    """Publication dates a time word points at ("this week": the 7 days up to the as-of date)."""

    since: str
    until: str
    phrase: str  # the words of the question that named it, e.g. "this week"


_RELATIVE = re.compile(
    r"\b(?P<phrase>today|tonight|this morning|this afternoon|this evening|yesterday|"
    r"(?:this|the past|the last|past|last) (?:few )?(?:week|month|year|days|weeks|months)|"
    r"in recent (?:days|weeks|months)|recently|lately|latest|newest|most recent|so far this year|"
    r"this year|earlier this (?:week|month|year)|over the weekend|this weekend|last weekend|"
    r"(?:a|one|two|three|four) (?:days?|weeks?) ago|right now|currently)\b",
    re.I)
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}
# How far back a vague word looks: "recently", "latest" and the like.
RECENT_DAYS = 30


def time_window(question: str, as_of: dt.date) -> Window | None:
    """The publication window a time word in `question` names, relative to `as_of`, or None.

    "today" is the as-of day; "yesterday" the day before; "this week" and "the past week" the 7
    days up to it; "last week" the 7 days before those; "this month" from the 1st; "last month"
    the calendar month before; "this year"/"so far this year" from January 1st; "recently",
    "latest" and "currently" the last 30 days. Explicit dates are `date_range`'s job.
    """
    match = _RELATIVE.search(question)
    if not match:
        return None
    phrase = match.group("phrase").lower()
    day = dt.timedelta(days=1)
    first, last = as_of - RECENT_DAYS * day, as_of
    if phrase in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        first = as_of
    elif phrase == "yesterday":
        first = last = as_of - day
    elif phrase.endswith("ago"):
        count_word, unit = phrase.split()[:2]
        days = _WORD_NUMBERS.get(count_word, 1) * (7 if unit.startswith("week") else 1)
        first, last = as_of - (days + 3) * day, as_of - max(days - 3, 0) * day
    elif "weekend" in phrase:
        saturday = as_of - ((as_of.weekday() - 5) % 7) * day
        if phrase.startswith("last"):
            saturday -= 7 * day
        first, last = saturday - day, saturday + 2 * day
    elif phrase == "last week":
        first, last = as_of - 13 * day, as_of - 7 * day
    elif "week" in phrase or phrase in ("the past few days", "the last few days", "past few days",
                                       "in recent days", "the past days", "the last days"):
        first = as_of - 6 * day
    elif phrase == "last month":
        end_previous = as_of.replace(day=1) - day
        first, last = end_previous.replace(day=1), end_previous
    elif phrase in ("this month", "earlier this month"):
        first = as_of.replace(day=1)
    elif phrase in ("this year", "so far this year", "earlier this year"):
        first = as_of.replace(month=1, day=1)
    elif phrase in ("last year", "the past year", "the last year", "past year"):
        first = as_of - 365 * day
    elif "month" in phrase:  # "the past month", "in recent months"
        first = as_of - (90 if "months" in phrase else 31) * day
    return Window(first.isoformat(), last.isoformat(), phrase)


def strip_time_words(question: str) -> str:
    """`question` without the time word `time_window` reads ("the latest on the strike" -> "on
    the strike"): it names when, not what, and would only add noise to matching."""
    stripped = _RELATIVE.sub(" ", question, count=1)
    return re.sub(r"\s{2,}", " ", stripped).strip() or question
