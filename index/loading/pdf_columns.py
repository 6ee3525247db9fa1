"""Reading order of text columns on a PDF page whose file holds their lines row by row.

pypdf extracts text in the order the file's content stream draws it. Most producers draw a
column whole before the next (then that order is the reading order), but some draw row by row
across the page: a line of the left column, then the line beside it in the right one. pypdf
then puts both on one output line, and the columns mix ("...close the old foot and that the
change..."). Such a page shows itself: many output lines hold a second run of text that starts
at one same x (the gutter), and the text on both sides reads as running text (several words),
not as table cells. There, each line is cut at the gutter and the page is read as: what stands
above the columns, the left column, the right column, what stands below; each side is looked at
again the same way, for a third column.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

# Pieces that start within this many points of the gutter start at it.
_GUTTER_TOLERANCE = 3.0
# Columns: lines cut at the gutter in at least this many rows and this share of the page's rows,
MIN_SPLIT_ROWS = 4
MIN_SPLIT_SHARE = 0.25
# with at least this many words on each side in the middle (table cells hold fewer).
MIN_SIDE_WORDS = 3
_MAX_DEPTH = 3


@dataclass
class Piece:
    """A run of text as pypdf's visitor reports it: where it starts (x, y baseline) and its size."""

    text: str
    x: float | None
    y: float | None
    size: float
    font: str = ""  # its font's name (/BaseFont)


Row = list[Piece]  # one output line of pypdf's extraction


def in_reading_order(rows: list[Row], depth: int = 0) -> list[Row]:
    """`rows` with the lines of text columns drawn row by row put back into column order; rows of
    a page without such columns come back as they are."""
    gutter = _gutter(rows) if depth < _MAX_DEPTH else None
    if gutter is None:
        return rows
    cut = [_cut(row, gutter) for row in rows]
    both = [left[0].y for left, right in cut if left and right and left[0].y is not None]
    top, bottom = max(both), min(both)
    slack = 2 * max((p.size for row in rows for p in row), default=12.0)
    above: list[Row] = []
    below: list[Row] = []
    left_column: list[Row] = []
    right_column: list[Row] = []
    for left, right in cut:
        if right:
            right_column.append(right)
        if not left:
            continue
        y = left[0].y
        if right or y is None or bottom - slack <= y <= top + slack:
            left_column.append(left)
        elif y > top:
            above.append(left)
        else:
            below.append(left)
    return (above + in_reading_order(left_column, depth + 1) + in_reading_order(right_column, depth + 1)
            + below)


def _cut(row: Row, gutter: float) -> tuple[Row, Row]:
    """The row's pieces left and right of the gutter (a side without text: empty)."""
    left = [p for p in row if p.x is None or p.x < gutter - _GUTTER_TOLERANCE]
    right = [p for p in row if p.x is not None and p.x >= gutter - _GUTTER_TOLERANCE]
    return (left if _words(left) else []), (right if _words(right) else [])


def _gutter(rows: list[Row]) -> float | None:
    """The x where a second run of running text starts in many rows, or None."""
    starts: Counter[int] = Counter()
    for row in rows:
        text_pieces = [p for p in row if p.text.strip() and p.x is not None]
        starts.update({round(p.x / 2) for p in text_pieces[1:]})  # type: ignore[operator]
    if not starts:
        return None
    near = {key: starts[key - 1] + starts[key] + starts[key + 1] for key in starts}
    key = max(near, key=lambda k: (near[k], starts[k]))
    if near[key] < max(MIN_SPLIT_ROWS, MIN_SPLIT_SHARE * len(rows)):
        return None
    gutter = key * 2.0
    sides = [(_words(left), _words(right)) for left, right in (_cut(row, gutter) for row in rows) if left and right]
    if len(sides) < MIN_SPLIT_ROWS:
        return None
    if min(statistics.median(w for w, _ in sides), statistics.median(w for _, w in sides)) < MIN_SIDE_WORDS:
        return None  # a table: short cells side by side are read row by row
    return gutter


def _words(pieces: Row) -> int:
    return len("".join(p.text for p in pieces).split())
