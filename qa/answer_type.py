"""What kind of answer a question expects, and whether a sentence holds one.

"When ..." wants a date, "How many ..." a number, "Who ..."/"Where ..." a name. A sentence
that has such a token, one the question does not already contain, is more likely to be the
answer than one that merely repeats the question's words.
"""

from __future__ import annotations

import re

_DATE_Q = re.compile(r"\bwhen\b|\b(what|which) (year|date|month|day|decade|century)\b", re.I)
_NUMBER_Q = re.compile(r"\bhow (many|much|long|old|far|large|big|tall|high|often|fast)\b|\bwhat (percentage|percent|"
                       r"number|amount|proportion|fraction)\b", re.I)
_NAME_Q = re.compile(r"\b(who|whom|whose|where)\b", re.I)

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(rf"\b(1\d{{3}}|20\d{{2}})s?\b|\b({_MONTHS})\b|\b\d{{1,2}}(st|nd|rd|th)\b|\bcentury\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|thousand|million|billion|trillion|dozen|half|percent)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")


def expected_type(question: str) -> str | None:
    """"number", "date", "name" or None when the question does not say."""
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    if _NAME_Q.search(question):
        return "name"
    return None


def holds_type(sentence: str, kind: str | None, question: str) -> bool:
    """True when `sentence` has a token of `kind` that `question` does not contain."""
    if kind is None:
        return False
    asked = question.lower()
    pattern = {"date": _DATE, "number": _NUMBER, "name": _NAME}[kind]
    return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))
