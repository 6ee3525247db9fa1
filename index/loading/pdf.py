"""PDF files -> title, date and plain text, with pypdf.

pypdf's `extract_text` gives each page's text in content-stream order, one output line per
line of the page; its visitor tells where on the page (y) each line sits. From those:

- a paragraph's lines are joined into one line (a line break inside a paragraph is not a
  sentence end); a paragraph ends at a vertical gap clearly larger than the page's line
  spacing (its smallest gap between lines), at a jump upwards (a new column or block) and at the page's end unless the last line
  is open (no final punctuation) and the next page goes on in lower case;
- a word hyphenated across a line end is rejoined ("Ukrain-" + "ian" -> "Ukrainian");
- page furniture goes: a line at the top or bottom of most pages (digits ignored, so
  "Page 3 of 9" and "Gazette, p. 4" count as the same line) and bare page numbers.

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
from index.loading.text import normalize_text

MAX_PDF_PAGES = 500
# A gap between two lines over this many times the page's line spacing is a paragraph break.
_PARAGRAPH_GAP = 1.4
# A line among the first or last `_EDGE_LINES` of a page is furniture when found there on at
# least this share of the pages (and on two pages at least).
_EDGE_LINES = 2
_FURNITURE_SHARE = 0.6

_PAGE_NUMBER = re.compile(r"^[\s\-–—|]*(?:(?:page|p\.|pg\.?|seite)\s*)?\d{1,4}(?:\s*(?:of|/|von)\s*\d{1,4})?[\s\-–—|]*$",
                          re.I)
_DIGITS = re.compile(r"\d+")
_HYPHEN_END = re.compile(r"(?<=[^\W\d_])[-\u00ad]$")
_OPEN_END = re.compile(r"[^.!?:;\"”’)\]]$")
_JUNK_TITLE = re.compile(r"^(untitled|microsoft word - .*|.*\.(docx?|pdf|odt|rtf|indd|qxd))$", re.I)


@dataclass
class _Line:
    text: str
    y: float | None  # baseline, in page units from the bottom; None when unknown
    size: float


def parse_pdf(data: bytes, warnings: list[str]) -> dict[str, Any]:
    """PDF bytes -> fields for `build_article` (`title`, `date`, `text`).

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
    paragraphs = _paragraphs(pages)
    fields: dict[str, Any] = {}
    meta = _metadata(reader)
    title = meta.get("title")
    if title:
        fields["title"] = title
    elif paragraphs:
        first_line = paragraphs[0][1]
        if len(first_line) <= 150:
            fields["title"] = first_line
            if paragraphs[0][0] == first_line:  # a headline on its own: not body text too
                paragraphs = paragraphs[1:]
    if meta.get("date") is not None:
        fields["date"] = meta["date"]
    fields["text"] = normalize_text("\n\n".join(text for text, _ in paragraphs))
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
    """The page's lines as `extract_text` gives them, each with the y of its first text."""
    fragments: list[tuple[str, float | None, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or 1.0
        fragments.append((text, y, (size or 0.0) * scale))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    current, y, size = "", None, 0.0
    for text, frag_y, frag_size in fragments:
        parts = text.split("\n")
        for n, part in enumerate(parts):
            if n:
                lines.append(_Line(current, y, size))
                current, y, size = "", None, 0.0
            if part.strip() and y is None:
                y, size = frag_y, frag_size
            current += part
    lines.append(_Line(current, y, size))
    return [line for line in lines if line.text.strip()]


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
    repeated = {key for key, n in counts.items() if n >= needed}
    out = []
    for lines in pages:
        keep = list(lines)
        for edge in (range(min(_EDGE_LINES, len(keep))), range(len(keep) - 1, max(len(keep) - 1 - _EDGE_LINES, -1), -1)):
            for i in edge:
                if i < len(keep) and keep[i] is not None and (
                        _furniture_key(keep[i].text) in repeated or _PAGE_NUMBER.match(keep[i].text)):
                    keep[i] = None
        out.append([line for line in keep if line is not None])
    return out


def _paragraphs(pages: list[list[_Line]]) -> list[tuple[str, str]]:
    """(paragraph, its first line) for every paragraph, in reading order across pages."""
    paragraphs: list[list[str]] = []
    previous_open = False  # the last paragraph may go on past the page break
    for lines in pages:
        # The page's line spacing: its smallest gap between lines (a paragraph gap is larger), not
        # counting offsets under about half a line (a superscript, a drop cap).
        gaps = [a.y - b.y for a, b in zip(lines, lines[1:])
                if a.y is not None and b.y is not None and a.y - b.y >= 0.6 * max(a.size, b.size, 1.0)]
        spacing = min(gaps) if gaps else None
        for n, line in enumerate(lines):
            text = " ".join(line.text.split())
            if n == 0:
                starts_new = not (previous_open and paragraphs and text[:1].islower())
            else:
                before = lines[n - 1]
                starts_new = _is_break(before, line, spacing)
            if starts_new or not paragraphs:
                paragraphs.append([text])
            else:
                paragraphs[-1].append(text)
        previous_open = bool(paragraphs) and bool(_OPEN_END.search(paragraphs[-1][-1]))
    return [(_join_lines(lines), lines[0]) for lines in paragraphs]


def _is_break(before: _Line, line: _Line, spacing: float | None) -> bool:
    if before.y is None or line.y is None:
        return False
    gap = before.y - line.y
    if gap <= 0:  # moved up or sideways: a new column or block
        return True
    usual = spacing or 1.2 * max(before.size, line.size, 1.0)
    return gap > _PARAGRAPH_GAP * usual


def _join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text and _HYPHEN_END.search(text) and line[:1].islower():
            text = text[:-1] + line  # "Ukrain-" + "ian"
        else:
            text = f"{text} {line}" if text else line
    return text
