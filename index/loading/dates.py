"""Publication dates in the shapes articles carry them -> ISO 8601 `YYYY-MM-DD`."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y",
            "%B %d %Y", "%b %d %Y", "%d.%m.%Y")


def parse_date(value: object) -> str | None:
    """Return the date as `YYYY-MM-DD`, or None when it is not a recognizable date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def date_ordinal(date: str | None) -> int | None:
    """`2024-02-27` -> 20240227: Chroma compares numbers, not strings, in range filters."""
    return int(date.replace("-", "")) if date else None
