"""Page numbers: where each page starts in an article's text, carried to its stored chunks.

A PDF article records `Article.pages`: the offset in its text where each page starts, page 1
first (a page without text starts where the next one does, so it is never anyone's page).
A stored chunk keeps only what a citation needs, as metadata a vector store accepts (scalars):
`page`, the page the chunk's first character is on, and `page_breaks`, the offsets inside the
chunk's text where a later page starts, comma-separated ("412,1830"; a blank page between two
repeats an offset). A chunk of an article without pages (any other format), or one stored before
pages were recorded, has neither key, and its page is None.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

PAGE_KEY = "page"
BREAKS_KEY = "page_breaks"


def page_of(pages: Sequence[int], offset: int) -> int | None:
    """The page (from 1) that `offset` of the article's text is on; None without pages."""
    if not pages:
        return None
    return max(1, bisect.bisect_right(pages, offset))


def chunk_page_metadata(pages: Sequence[int], start: int, end: int) -> dict[str, Any]:
    """The metadata keys for the chunk `text[start:end]` of an article with `pages` (none without)."""
    first = page_of(pages, start)
    if first is None:
        return {}
    # pages[first:] are the starts of pages first + 1, first + 2, ...: those inside the chunk.
    breaks = [offset - start for offset in pages[first:] if offset < end]
    meta: dict[str, Any] = {PAGE_KEY: first}
    if breaks:
        meta[BREAKS_KEY] = ",".join(str(b) for b in breaks)
    return meta


def pages_from_metadata(meta: Mapping[str, Any]) -> tuple[int | None, tuple[int, ...]]:
    """(page at the chunk's start, page-break offsets in the chunk) read back from its metadata;
    (None, ()) when it has none or they are not readable (then no page is shown, never a wrong one)."""
    raw_page, raw_breaks = meta.get(PAGE_KEY), meta.get(BREAKS_KEY) or ""
    try:
        page = int(raw_page) if raw_page is not None else None
        breaks = tuple(int(b) for b in str(raw_breaks).split(",") if b.strip())
    except (TypeError, ValueError):
        return None, ()
    if page is None or page < 1 or list(breaks) != sorted(breaks):
        return None, ()
    return page, breaks


def page_in_chunk(page: int | None, breaks: Sequence[int], offset: int) -> int | None:
    """The page that `offset` of a chunk's text is on, given the chunk's `page` and `breaks`."""
    if page is None:
        return None
    return page + bisect.bisect_right(breaks, offset)
