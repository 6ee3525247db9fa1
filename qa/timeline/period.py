"""A timeline's question -> its topic and its period.

"What has happened with the bus strike since Monday?" asks for the bus strike's developments
published from Monday to the as-of date: `read_period` returns the topic ("the bus strike") and
that range. The date phrase can be

- a weekday: "since Monday" (the latest Monday on or before the as-of date; "since last Monday":
  before it), "after Tuesday", "until Friday", "before Friday";
- a calendar date or month, read by `qa.answering.temporal.date_range` as `ask` reads it:
  "since 4 November 2024", "in November 2024", "before 2024-11-06";
- a relative time word, read by `qa.answering.temporal.time_window` against the as-of date:
  "this week", "yesterday", "the past month"; "since yesterday" / "since last week" run from
  the start of that window to the as-of date.

A relative phrase (a weekday or a time word) ends the period at the as-of date; a calendar date
leaves it open. The question's framing ("what has happened with", "the latest on", "timeline
of") is cut from the topic too: it says what kind of answer is wanted, not what it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.answering.temporal import date_range, time_window

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(
    r"\b(?P<word>since|after|from|until|till|through|before|by)\s+(?:(?P<last>last|this past|past|this)\s+)?"
    r"(?P<day>" + "|".join(_WEEKDAYS) + r")\b", re.I)

_MONTH_NAMES = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
# The calendar dates `date_range` reads, with the word before them, to cut them from the topic.
_CALENDAR = re.compile(
    r"(?:\b(?:since|after|from|before|until|till|by|in|on|during|of)\s+(?:the\s+)?)?"
    r"(?:\b(?:19|20)\d{2}-\d{2}-\d{2}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAMES},?\s+(?:19|20)\d{{2}}\b"
    rf"|\b{_MONTH_NAMES}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"
    rf"|\b{_MONTH_NAMES}\s+(?:of\s+)?(?:19|20)\d{{2}}\b)", re.I)

# What a question about a story says besides the story: cut from the front, then the end.
_FRAMING = [re.compile(p, re.I) for p in (
    r"^(?:please\s+)?(?:can you\s+|could you\s+)?(?:tell me|show me|give me|list)\s+",
    r"^(?:a|the)?\s*(?:timeline|chronology|history|summary|recap)\s+(?:of|for|on|about)\s+",
    r"^(?:what|whats|what's)\s+(?:has|have|had|is|are|was)?\s*(?:been\s+)?"
    r"(?:happened|happening|going on|new|the latest|the news|the story|developments?)\s*"
    r"(?:(?:with|to|on|in|about|regarding|around|concerning|for)\s+)?",
    r"^(?:what|whats|what's)\s+(?:the\s+)?(?:latest|news|developments?|updates?)\s+(?:(?:with|on|in|about|for)\s+)?",
    r"^(?:the\s+)?(?:latest|news|developments|updates?)\s+(?:(?:with|on|in|about|for|to)\s+)?",
    r"^(?:how\s+(?:has|have|did)\s+)(?P<keep>.+?)\s+"
    r"(?:developed|unfolded|evolved|changed|gone|progressed)\b(?P<tail>.*)$",
    r"^(?:any|what)\s+(?:news|updates?|developments?)\s+(?:(?:on|about|in|with|for)\s+)?",
    r"^(?:with|to|on|about|regarding|concerning|for)\s+",  # what a date phrase cut from the front left
)]
_TRAILING = re.compile(r"\s*(?:so far|to date|lately|since then|over time)?\s*[?.!]*\s*$", re.I)


@dataclass(frozen=True)
class Period:
    """A timeline question read: the topic to search for and the publication dates asked about."""

    topic: str
    since: str | None
    until: str | None
    phrase: str | None  # the words that set the dates ("since Monday"), None when none did


def read_period(question: str, as_of: dt.date) -> Period:
    """The topic and the period of a timeline question (see the module); a question with no
    date phrase has no period (since and until None). The topic is "" when the question names
    no story ("What has happened since Monday?")."""
    # The framing first: "the latest on" is how the question asks, not a time word.
    text = _topic(" ".join(question.split()))
    since = until = phrase = None
    weekday = _WEEKDAY.search(text)
    window = time_window(text, as_of)
    if weekday:
        since, until = _weekday_bounds(weekday, as_of)
        phrase, text = weekday.group(0), _cut(text, weekday.start(), weekday.end())
    elif any(date_range(text)):
        since, until = date_range(text)
        found = _CALENDAR.search(text)
        if found:
            phrase, text = found.group(0).strip(), _cut(text, found.start(), found.end())
    elif window:
        relative = re.search(rf"\b{re.escape(window.phrase)}\b", text, re.I)
        start, end = relative.span() if relative else (0, 0)
        opener = re.search(r"\b(since|from)\s+$", text[:start], re.I)
        since, until = window.since, window.until
        if opener:  # "since last week": from that window on, to the as-of date
            start, until = opener.start(), as_of.isoformat()
        phrase, text = text[start:end], _cut(text, start, end)
    return Period(topic=_topic(text), since=since, until=until, phrase=phrase)


def _weekday_bounds(match: re.Match[str], as_of: dt.date) -> tuple[str | None, str | None]:
    """The dates "since Monday", "before Friday"... name: the latest such weekday on or before the
    as-of date ("last Monday": strictly before it); a "since" period ends at the as-of date."""
    back = (as_of.weekday() - _WEEKDAYS.index(match.group("day").lower())) % 7
    if back == 0 and (match.group("last") or "").lower() in ("last", "past", "this past"):
        back = 7
    day = as_of - dt.timedelta(days=back)
    word = match.group("word").lower()
    if word in ("since", "from"):
        return day.isoformat(), as_of.isoformat()
    if word == "after":
        return (day + dt.timedelta(days=1)).isoformat(), as_of.isoformat()
    if word == "before":
        return None, (day - dt.timedelta(days=1)).isoformat()
    return None, day.isoformat()  # until, till, through, by


def _cut(text: str, start: int, end: int) -> str:
    return " ".join(f"{text[:start]} {text[end:]}".split())


def _topic(text: str) -> str:
    """`text` without the question's framing words and final punctuation."""
    topic = _TRAILING.sub("", text.strip())
    for pattern in _FRAMING:
        match = pattern.match(topic)
        if match:
            topic = f"{match.group('keep')}{match.group('tail')}" if "keep" in pattern.groupindex \
                else topic[match.end():]
    return _TRAILING.sub("", topic).strip(" ,;:-")
