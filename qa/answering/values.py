"""What a span of an asked-for kind means, so that two sources can be compared on it.

"19" and "nineteen" are one count, "$1.2 billion" and "1.2 billion dollars" one amount,
"Nov. 6" and "November 6, 2024" one date, "Mark Rutte" and "Rutte" one person. `read_value`
turns a span found by `qa.answering.answer_type` into a `Value`; `same` says whether two values
can be the same thing. Vague spans ("dozens", "next week", "Tuesday", "the 1990s") give no
value: they cannot be said to differ from anything.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from dateutil import parser as date_parser

from qa.answering.answer_type import _is_organization  # the same rule the answer uses for "who is the chief?"

_I = re.I

# Number words, as news writes figures: "nineteen", "twenty-one", "two million", "a dozen".
_UNITS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * n for n, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if n >= 2}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
           "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12}
_FRACTIONS = {"half": 0.5, "a half": 0.5, "a third": 1 / 3, "a quarter": 0.25, "dozen": 12, "a dozen": 12}
# Plurals of scales say "many", not how many.
_VAGUE = re.compile(r"\b(?:dozens|hundreds|thousands|millions|billions|several|few|many|some)\b", _I)
_APPROXIMATE = re.compile(r"\b(?:about|around|roughly|approximately|nearly|almost|some|an estimated|estimated|"
                          r"close to|up to)\s*$", _I)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")

_CURRENCIES = (  # (pattern, code), searched in the span only; "US$" and "C$" before "$"
    (r"US\$|\bUSD\b|\bU\.S\. dollars?\b", "USD"), (r"\bC\$|\bCA\$|\bCAD\b|\bCanadian dollars?\b", "CAD"),
    (r"\bA\$|\bAU\$|\bAUD\b|\bAustralian dollars?\b", "AUD"), (r"\$|\bdollars?\b|\bcents?\b", "USD"),
    (r"€|\bEUR\b|\beuros?\b", "EUR"), (r"£|\bGBP\b|\bpounds?\b|\bpence\b", "GBP"), (r"¥|\bJPY\b|\byen\b", "JPY"),
    (r"\byuan\b|\bCNY\b|\brenminbi\b", "CNY"), (r"\bCHF\b|\bfrancs?\b", "CHF"), (r"\brupees?\b|\bINR\b", "INR"),
    (r"\bpesos?\b", "MXN"), (r"\broubles?\b|\brubles?\b", "RUB"), (r"\bwon\b", "KRW"),
)
_HUNDREDTHS = re.compile(r"\b(?:cents?|pence)\b", _I)
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400,
            "year": 365 * 86400, "decade": 3650 * 86400, "century": 36500 * 86400, "centurie": 36500 * 86400}
_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
_VAGUE_DATE = re.compile(r"\b(?:decades?|centur(?:y|ies)|spring|summer|autumn|fall|winter|next|last|early|late|mid|"
                         r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\d0s\b", _I)
_DAY_ONLY = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?$", _I)
_PARTICLES = frozenset("of de van von der da del du la le al bin the".split())


@dataclass(frozen=True)
class Value:
    """One span read as a value: `key` is what is compared, `text` what is shown.

    Figures: key (unit, amount) with `approximate` for "about 20"; dates: (year, month, day) with
    None for what the text leaves out; persons: (surname, given names); places: their words.
    """

    kind: str
    key: tuple
    text: str
    approximate: bool = False

    @property
    def full_name(self) -> bool:
        """A person named by a given name and a surname ("Mark Rutte", not "Rutte" or "M. Rutte")."""
        return self.kind == "person" and any(len(w) > 1 for w in self.key[1])


def read_value(kind: str, text: str, *, before: str = "", published: str | None = None) -> Value | None:
    """The value of span `text` of `kind` (an `answer_type` kind), or None when it states none
    exactly. `before` is the sentence up to the span (for "about"); `published` the source's
    ISO date (for "yesterday")."""
    text = text.strip()
    approximate = bool(_APPROXIMATE.search(before))
    if kind in ("count", "number", "percent"):
        amount = figure(text)
        if amount is None:
            return None
        unit = "%" if kind == "percent" else _unit(text)
        return Value(kind, (unit, amount), text, approximate)
    if kind == "money":
        amount = figure(text)
        if amount is None:
            return None
        if _HUNDREDTHS.search(text):
            amount /= 100
        return Value(kind, (_currency(text), amount), text, approximate)
    if kind == "duration":
        amount = figure(re.sub(r"^(?:an?)\s", "one ", text, flags=_I))
        unit = _unit(text).rstrip("s")
        if amount is None or unit not in _SECONDS:
            return None
        return Value(kind, ("s", amount * _SECONDS[unit]), text, approximate)
    if kind == "time":
        minutes = _minutes(text)
        return None if minutes is None else Value(kind, ("min", float(minutes)), text, approximate)
    if kind == "date":
        key = _date_key(text, published)
        return None if key is None else Value(kind, key, text)
    if kind == "person":
        words = _name_words(text)
        if not words or _is_organization(text) or len(words) > 4 or text.isupper():  # "NWS", "CBS"
            return None
        return Value(kind, (words[-1], tuple(words[:-1])), text)
    if kind == "place":
        words = _name_words(text)
        return Value(kind, tuple(words), text) if words else None
    return None


def same(a: Value, b: Value) -> bool:
    """Whether `a` and `b` can be the same: equal figures (within 10% when one is approximate),
    dates that agree wherever both say something, a surname with compatible given names
    ("Rutte" is "Mark Rutte", "M. Rutte" too, "Jane Rutte" is not), places one of whose words
    hold the other's ("New York" and "New York City")."""
    if a.kind != b.kind:
        return False
    if a.kind in ("count", "number", "percent", "money", "duration", "time"):
        (unit_a, x), (unit_b, y) = a.key, b.key
        if unit_a != unit_b:
            return False
        tolerance = 0.1 if a.approximate or b.approximate else 1e-9
        return abs(x - y) <= tolerance * max(abs(x), abs(y))
    if a.kind == "date":
        return all(p is None or q is None or p == q for p, q in zip(a.key, b.key, strict=True))
    if a.kind == "person":
        (surname_a, given_a), (surname_b, given_b) = a.key, b.key
        if surname_a != surname_b:
            return False
        if not given_a or not given_b:
            return True
        first_a, first_b = given_a[0], given_b[0]
        return first_a == first_b or (min(len(first_a), len(first_b)) == 1 and first_a[0] == first_b[0])
    if a.kind == "place":
        small, large = sorted((set(a.key), set(b.key)), key=len)
        return small <= large
    return a.key == b.key


def comparable(a: Value, b: Value) -> bool:
    """Whether `a` and `b` measure the same thing (a count of grams is not a count of metres)."""
    if a.kind != b.kind:
        return False
    if a.kind in ("count", "number", "percent", "money", "duration", "time"):
        return a.key[0] == b.key[0]
    if a.kind == "date":  # "2024" and "Nov 6" say nothing against each other
        return any(p is not None and q is not None for p, q in zip(a.key, b.key, strict=True))
    return True


def figure(text: str) -> float | None:
    """The number `text` states: "21,500" -> 21500, "1.2 billion" -> 1.2e9, "$4bn" -> 4e9,
    "nineteen" -> 19, "twenty-one" -> 21, "two hundred and five" -> 205, "a dozen" -> 12.
    None for none, or a vague one ("dozens", "several")."""
    if _VAGUE.search(text):
        return None
    lowered = text.lower().replace("-", " ")
    digits = _DIGITS.search(lowered)
    scale = 1.0
    if digits:
        written = digits.group(0)
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", written):
            written = written.replace(",", "")
        elif re.fullmatch(r"\d+,\d{1,2}", written):  # "1,5" in European style
            written = written.replace(",", ".")
        try:
            value = float(written.replace(",", ""))
        except ValueError:
            return None
        after = re.match(r"\s?([a-z]+)", lowered[digits.end():])
        if after and after.group(1) in _SCALES and (len(after.group(1)) > 1 or lowered[digits.end()] != " "):
            scale = _SCALES[after.group(1)]
        return value * scale
    return _words_value(lowered)


def _words_value(text: str) -> float | None:
    for phrase, value in _FRACTIONS.items():
        if re.search(rf"\b{phrase}\b", text):
            rest = re.search(r"\b(thousand|million|billion|trillion)\b", text)
            return value * (_SCALES[rest.group(1)] if rest else 1)
    total, current, seen = 0.0, 0.0, False
    for word in re.findall(r"[a-z]+", text):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in ("thousand", "million", "billion", "trillion"):
            total += (current or 1) * _SCALES[word]
            current = 0.0
        elif word in ("and", "a", "an"):
            continue
        else:
            continue
        seen = True
    return total + current if seen else None


def _unit(text: str) -> str:
    """The unit written after a figure ("49 grams" -> "gram"), "" for none."""
    tail = _DIGITS.sub(" ", text.lower())
    for word in re.findall(r"[a-z%°/]+", tail):
        if word in _UNITS or word in _TENS or word in _SCALES or word in ("and", "a", "an"):
            continue
        return word.rstrip("s") if len(word) > 3 else word
    return ""


def _currency(text: str) -> str:
    return next((code for pattern, code in _CURRENCIES if re.search(pattern, text, _I)), "")


def _minutes(text: str) -> int | None:
    lowered = text.lower().replace(".", "")
    named = {"noon": 12 * 60, "midday": 12 * 60, "midnight": 0}
    if lowered.strip() in named:
        return named[lowered.strip()]
    m = re.match(r"\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|o'clock)?", lowered)
    if not m or (m.group(2) is None and m.group(3) is None):
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def _date_key(text: str, published: str | None) -> tuple[int | None, int | None, int | None] | None:
    """(year, month, day), None where the text leaves it out; None for a vague date."""
    lowered = text.lower().strip()
    if lowered in _RELATIVE_DAYS:
        if not published:
            return None
        day = dt.date.fromisoformat(published) + dt.timedelta(days=_RELATIVE_DAYS[lowered])
        return day.year, day.month, day.day
    if _VAGUE_DATE.search(lowered) or _DAY_ONLY.match(lowered):
        return None
    try:  # parsed twice with different defaults: what changes is what the text leaves out
        a = date_parser.parse(text, default=dt.datetime(1, 1, 1), fuzzy=True)
        b = date_parser.parse(text, default=dt.datetime(2, 2, 2), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    key = (a.year if a.year == b.year else None, a.month if a.month == b.month else None,
           a.day if a.day == b.day else None)
    return None if key == (None, None, None) else key


def _name_words(text: str) -> list[str]:
    """A name's words, case and accents folded, without particles and possessives."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['’]s\b", "", folded)
    return [w for w in re.findall(r"[a-z][a-z'-]*", folded) if w not in _PARTICLES]


def date_label(iso: str | None, with_year: bool) -> str:
    """"Nov 6" (or "Nov 6, 2024") for a source's ISO date; "" for none."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso[:10])
    return f"{day:%b} {day.day}" + (f", {day.year}" if with_year else "")
