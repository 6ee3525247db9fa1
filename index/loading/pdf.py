"""PDF files -> title, date and plain text, with pypdf.

pypdf's `extract_text` gives each page's text in content-stream order, one output line per
line of the page; its visitor tells where on the page (y) each line sits. From those:

- a paragraph's lines are joined into one line (a line break inside a paragraph is not a
  sentence end); a paragraph ends at a vertical gap clearly larger than the page's line
  spacing (its smallest gap between lines of that type size), where the type size or the
  font of whole lines changes (a headline, a bold subheading), before a bullet, between rows
  of a table, at a jump upwards (a new column or block) and at the page's end, unless the line
  before is open (no final punctuation) and the next column or page goes on in lower case;
- text columns that the file draws row by row across the page are read column by column
  (`index.loading.pdf_columns`);
- a word hyphenated across a line end is rejoined ("Ukrain-" + "ian" -> "Ukrainian");
- footnote markers go (a number in smaller type right after a word: "sensors¹" reads "sensors");
- page furniture goes: a line at the top or bottom of most pages (digits ignored, so
  "Page 3 of 9" and "Gazette, p. 4" count as the same line), one with a number that comes back
  there on two pages or more (a header that changes with the chapter: "Chapter 2: Sources 7"),
  and bare page numbers (also lower-case roman ones: "iv").
- where each page starts in the text is kept (`pages`), so that a citation can say "p. 3"
  (`index.pages`).

Title: the document's metadata title, else its first line; date: the metadata creation date.
A file that cannot be read raises `LoadError` saying why: corrupt, encrypted (needs a
password), no text layer (scanned: OCR it first), or more than `MAX_PDF_PAGES` pages.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from index.errors import LoadError
from index.loading.pdf_columns import Piece, in_reading_order
from index.loading.text import normalize_text

MAX_PDF_PAGES = 500
# A gap between two lines over this many times the page's line spacing (for their type size, at
# most _MAX_SPACING times the size) is a paragraph break; so is a change of size over _SIZE_CHANGE.
_PARAGRAPH_GAP = 1.4
_MAX_SPACING = 1.35
_SIZE_CHANGE = 1.08
_BULLETS = frozenset("•◦▪▫●○■□‣⁃")
# A line among the first or last `_EDGE_LINES` of a page is furniture when found there on at
# least this share of the pages (and on two pages at least).
_EDGE_LINES = 2
_FURNITURE_SHARE = 0.6

_PAGE_NUMBER = re.compile(r"^[\s\-–—|]*(?:(?:page|p\.|pg\.?|seite)\s*)?\d{1,4}(?:\s*(?:of|/|von)\s*\d{1,4})?[\s\-–—|]*$",
                          re.I)
# Front matter's page numbers: lower case only (a drop cap "I" or "V" on its own line is not one).
_ROMAN_PAGE_NUMBER = re.compile(r"^[\s\-–—|]*[ivxlc]{1,6}[\s\-–—|]*$")
_DIGITS = re.compile(r"\d+")
_NOTE_MARKER = re.compile(r"^(?:\d{1,3}|[*\u2020\u2021]{1,3})$")
_MARKER_SIZE = 0.85  # a note marker's type is at most this share of the text's before it
_HYPHEN_END = re.compile(r"(?<=[^\W\d_])[-\u00ad]$")
_OPEN_END = re.compile(r"[^.!?:;\"”’)\]]$")
# Marks a page start while the text is normalized, taken out after.
_PAGE_MARK = "\uffff"  # a Unicode noncharacter: never text; taken out of lines read
_JUNK_TITLE = re.compile(r"^(untitled|microsoft word - .*|.*\.(docx?|pdf|odt|rtf|indd|qxd))$", re.I)


@dataclass
class _Line:
    text: str
    y: float | None  # baseline, in page units from the bottom; None when unknown
    size: float  # of its longest run of text (a drop cap or a marker does not count)
    font: str | None = None  # the font of all its text; None when it mixes fonts or none is known
    cells: tuple[float, ...] = ()  # where its runs of text after the first start (x), when it has several


def parse_pdf(data: bytes, warnings: list[str]) -> dict[str, Any]:
    """PDF bytes -> fields for `build_article` (`title`, `date`, `text`, `pages`).

    Raises:
        LoadError: corrupt, encrypted, too many pages, or no text layer.
    """
    import pypdf
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about sloppy files are noise here
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise LoadError(f"corrupt PDF, cannot be read: {_reason(exc)}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # encrypted with an owner password only: opens without one
        except DependencyError as exc:
            raise LoadError(f"encrypted PDF that needs a decryption library: {exc}") from exc
        except Exception as exc:
            raise LoadError(f"encrypted PDF, cannot be decrypted: {_reason(exc)}") from exc
        if not opened:
            raise LoadError("encrypted PDF: it cannot be opened without a password; "
                            "save an unprotected copy and ingest that")
    try:
        n_pages = len(reader.pages)
    except Exception as exc:
        raise LoadError(f"corrupt PDF, its pages cannot be read: {_reason(exc)}") from exc
    if n_pages == 0:
        raise LoadError("corrupt PDF: no pages found (truncated or damaged file)")
    if n_pages > MAX_PDF_PAGES:
        raise LoadError(f"PDF has {n_pages} pages, over the {MAX_PDF_PAGES}-page limit; split it into smaller files")

    pages: list[list[_Line]] = []
    unreadable = 0
    for number, page in enumerate(reader.pages, 1):
        try:
            pages.append(_page_lines(page))
        except Exception as exc:
            unreadable += 1
            warnings.append(f"page {number}: text could not be read ({_reason(exc)}), skipped")
            pages.append([])
    if not any(line.text.strip() for lines in pages for line in lines):
        if unreadable == n_pages:
            raise LoadError(f"corrupt PDF: the text of none of its {n_pages} pages could be read")
        raise LoadError(f"scanned PDF: no text layer on any of its {n_pages} page{'s' * (n_pages > 1)} "
                        f"(images only); run OCR first (e.g. ocrmypdf) and ingest the result")

    pages = _drop_furniture(pages)
    for number, lines in enumerate(pages, 1):
        if not lines and not any(w.startswith(f"page {number}:") for w in warnings):
            warnings.append(f"page {number}: no text on it besides any running header or footer (a scanned page "
                            f"or a picture?), nothing read from it; run OCR first (e.g. ocrmypdf) to include it")
    paragraphs = _paragraphs(pages)
    if not paragraphs:
        raise LoadError(f"scanned PDF: no text on any of its {n_pages} page{'s' * (n_pages > 1)} besides a running "
                        f"header or footer (images only); run OCR first (e.g. ocrmypdf) and ingest the result")
    fields: dict[str, Any] = {}
    meta = _metadata(reader)
    title = meta.get("title")
    if title:
        fields["title"] = title
    elif paragraphs:
        first_line = paragraphs[0].lines[0]
        if len(first_line) <= 150:
            fields["title"] = first_line
            if len(paragraphs[0].lines) == 1:  # a headline on its own: not body text too
                paragraphs = paragraphs[1:]
    if meta.get("date") is not None:
        fields["date"] = meta["date"]
    fields["text"], fields["pages"] = _text_and_page_starts(paragraphs, n_pages)
    return fields


def _reason(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def _metadata(reader: Any) -> dict[str, Any]:
    """Title and creation date from the document information dictionary, where usable."""
    out: dict[str, Any] = {}
    try:
        info = reader.metadata
    except Exception:
        return out
    if not info:
        return out
    try:
        title = " ".join(str(info.title or "").split())
    except Exception:
        title = ""
    if title and not _JUNK_TITLE.match(title):
        out["title"] = title
    try:
        out["date"] = info.creation_date  # a datetime; pypdf parses the D:YYYYMMDD... form
    except Exception:  # a malformed date string: left out
        pass
    return out


def _page_lines(page: Any) -> list[_Line]:
    """The page's lines as `extract_text` gives them (columns drawn row by row put back in
    column order), each with the y of its first text."""
    fragments: list[tuple[str, float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or 1.0
        fragments.append((text, x, y, (size or 0.0) * scale, _font_name(font)))

    page.extract_text(visitor_text=visit)
    rows: list[list[Piece]] = [[]]
    previous_size = 0.0
    for text, x, y, size, font in fragments:
        if _is_note_marker(text, size, "".join(p.text for p in rows[-1]), previous_size):
            continue  # "sensors¹": the quote reads "sensors", not "sensors1"
        if text.strip():
            previous_size = size
        for n, part in enumerate(text.split("\n")):
            if n:
                rows.append([])
            if part:
                rows[-1].append(Piece(part, x, y, size, font))
    lines = []
    for row in in_reading_order([row for row in rows if "".join(p.text for p in row).strip()]):
        text_pieces = [p for p in row if p.text.strip()]
        longest = max(text_pieces, key=lambda p: len(p.text.strip()))
        fonts = {p.font for p in text_pieces}
        font = fonts.pop() if len(fonts) == 1 else None
        cells = tuple(round(p.x) for p in text_pieces[1:] if p.x is not None)
        lines.append(_Line("".join(p.text for p in row), text_pieces[0].y, longest.size, font or None, cells))
    return lines


def _font_name(font: Any) -> str:
    try:
        return str(font.get("/BaseFont", "")) if font is not None else ""
    except Exception:  # a damaged font dictionary: no name, which only means no font-change breaks
        return ""


def _is_note_marker(text: str, size: float, line_so_far: str, previous_size: float) -> bool:
    """A footnote marker: a number (or *, †, ‡) in smaller type right after a word of the line."""
    return (bool(_NOTE_MARKER.match(text)) and bool(line_so_far) and not line_so_far[-1].isspace()
            and 0 < size <= _MARKER_SIZE * previous_size)


def _furniture_key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.split()).lower())


def _drop_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Without running headers and footers (the same line at the top or bottom of most pages)
    and bare page numbers at the top or bottom of a page."""
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_furniture_key(line.text) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]}
        counts.update(edge)
    with_text = sum(1 for lines in pages if lines)
    needed = max(2, _FURNITURE_SHARE * with_text)
    # A line with a number in it (a page number) that comes back at the edge of two pages or more
    # is a running header too, even when it changes with the chapter: "Chapter 2: Sources 7".
    repeated = {key for key, n in counts.items() if n >= needed or (n >= 2 and "#" in key)}
    out = []
    for lines in pages:
        keep = list(lines)
        for edge in (range(min(_EDGE_LINES, len(keep))), range(len(keep) - 1, max(len(keep) - 1 - _EDGE_LINES, -1), -1)):
            for i in edge:
                if i < len(keep) and keep[i] is not None and (
                        _furniture_key(keep[i].text) in repeated or _PAGE_NUMBER.match(keep[i].text)
                        or _ROMAN_PAGE_NUMBER.match(keep[i].text)):
                    keep[i] = None
        out.append([line for line in keep if line is not None])
    return out


@dataclass
class _Paragraph:
    lines: list[str]
    pages: list[int]  # the page (from 0) of each line

    def joined(self) -> tuple[str, list[int]]:
        """The paragraph as one line, and where each of its lines starts in it."""
        text, starts = "", []
        for line in self.lines:
            if text and _HYPHEN_END.search(text) and line[:1].islower():
                starts.append(len(text) - 1)
                text = text[:-1] + line  # "Ukrain-" + "ian"
            else:
                starts.append(len(text) + 1 if text else 0)
                text = f"{text} {line}" if text else line
        return text, starts


def _paragraphs(pages: list[list[_Line]]) -> list[_Paragraph]:
    """Every paragraph, its lines with their page numbers, in reading order across pages."""
    paragraphs: list[_Paragraph] = []
    previous_open = False  # the last paragraph may go on past the page break
    for page, lines in enumerate(pages):
        # The page's line spacing for each type size (a standfirst in larger type has wider lines
        # than the body): its smallest gap between lines of that size (a paragraph gap is larger),
        # not counting offsets under about half a line (a superscript, a drop cap).
        spacings: dict[float, float] = {}
        for a, b in zip(lines, lines[1:]):
            if a.y is not None and b.y is not None and _size_key(a.size) == _size_key(b.size) \
                    and a.y - b.y >= 0.6 * max(a.size, b.size, 1.0):
                key = _size_key(a.size)
                spacings[key] = min(spacings.get(key, a.y - b.y), a.y - b.y)
        for n, line in enumerate(lines):
            text = " ".join(line.text.replace(_PAGE_MARK, " ").split())
            if n == 0:
                starts_new = not (previous_open and paragraphs and text[:1].islower())
            else:
                before = lines[n - 1]
                starts_new = _is_break(before, line, spacings)
            if starts_new or not paragraphs:
                paragraphs.append(_Paragraph([text], [page]))
            else:
                paragraphs[-1].lines.append(text)
                paragraphs[-1].pages.append(page)
        # A page without text (scanned) between: what it held is missing, so nothing goes on across it.
        previous_open = bool(lines) and bool(_OPEN_END.search(paragraphs[-1].lines[-1]))
    return paragraphs


def _text_and_page_starts(paragraphs: list[_Paragraph], n_pages: int) -> tuple[str, tuple[int, ...]]:
    """The article text (paragraphs apart by a blank line, normalized) and the offset in it where
    each of the `n_pages` pages starts: where its first line kept begins, or for a page with no
    line kept (blank, scanned, only furniture) where the next page starts."""
    parts: list[str] = []
    marks: dict[int, int] = {}  # page -> offset of its first line, in the text before normalizing
    at = 0
    for paragraph in paragraphs:
        text, starts = paragraph.joined()
        for page, start in zip(paragraph.pages, starts, strict=True):
            marks.setdefault(page, at + start)
        parts.append(text)
        at += len(text) + 2
    raw = "\n\n".join(parts)
    # Normalizing may shift offsets (NFC): mark each page start with a character no PDF text
    # holds, normalize, then read the marks' places and take them out.
    order = sorted(marks, key=lambda page: (marks[page], page))
    pieces, previous = [], 0
    for page in order:
        pieces += [raw[previous:marks[page]], _PAGE_MARK]
        previous = marks[page]
    marked = normalize_text("".join(pieces) + raw[previous:])
    text_parts, found = [], []
    for n, piece in enumerate(marked.split(_PAGE_MARK)):
        if n:
            found.append(sum(len(t) for t in text_parts))
        text_parts.append(piece)
    text = "".join(text_parts)
    starts: list[int | None] = [None] * n_pages
    for page, offset in zip(order, found, strict=True):
        starts[page] = offset
    following = len(text)
    for page in range(n_pages - 1, -1, -1):
        if starts[page] is None or starts[page] > following:  # type: ignore[operator]
            starts[page] = following
        following = starts[page]  # type: ignore[assignment]
    starts[0] = 0  # whatever precedes the first mark (nothing, or leading space) is on page 1
    return text, tuple(s for s in starts if s is not None)


def _size_key(size: float) -> float:
    return round(size * 2) / 2


def _is_break(before: _Line, line: _Line, spacings: dict[float, float]) -> bool:
    if before.y is None or line.y is None:
        return False
    gap = before.y - line.y
    if gap <= 0:  # moved up or sideways: a new column or block, unless a sentence goes on into it
        return not (_OPEN_END.search(before.text.rstrip()) and line.text.lstrip()[:1].islower())
    small, large = sorted((before.size, line.size))
    if small > 0 and large > _SIZE_CHANGE * small:
        return True  # a headline, standfirst or caption ends and the body begins
    if before.font and line.font and before.font != line.font:
        return True  # a subheading in bold above its section
    if line.text.lstrip()[:1] in _BULLETS:
        return True  # each item of a list is a paragraph of its own
    shared = len(set(before.cells) & set(line.cells))
    if shared >= 2 and shared >= 0.6 * min(len(before.cells), len(line.cells)):
        return True  # rows of a table (runs of text starting at the same places): a row is a line
    size = max(line.size, 1.0)
    usual = min(spacings.get(_size_key(line.size), 1.2 * size), _MAX_SPACING * size)
    return gap > _PARAGRAPH_GAP * usual
