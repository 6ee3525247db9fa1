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
