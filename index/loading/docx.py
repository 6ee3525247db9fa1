"""Word .docx files -> title, date and plain text, with python-docx.

The body is read in document order: each paragraph is a paragraph (a blank line between two),
a heading is a line of its own right above what follows it, list paragraphs keep a `- ` marker
and stay on consecutive lines, and a table is one block, a row a line, cells joined by ` | `
(as the Markdown loader writes tables). Page headers and footers are not read.

Title: the core properties' title, else the first Title- or Heading-styled paragraph, else a
short first paragraph; date: the core properties' created date, else modified. A file that is
not a readable .docx raises `LoadError` saying so.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from index.errors import LoadError
from index.loading.text import normalize_text

# The unpacked size a .docx may have: a zip bomb fails with this reason instead of filling memory.
MAX_DOCX_UNPACKED_BYTES = 300 * 1024 * 1024
# python-docx's own template carries this creation stamp: not the document's date.
_TEMPLATE_STAMP = dt.datetime(2013, 12, 23, 23, 15, tzinfo=dt.timezone.utc)


def parse_docx(data: bytes, warnings: list[str]) -> dict[str, Any]:
    """.docx bytes -> fields for `build_article` (`title`, `date`, `text`).

    Raises:
        LoadError: not a zip, not a Word document, damaged, or unpacking too large.
    """
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"corrupt .docx: not a readable zip archive ({exc})") from exc
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise LoadError(f"corrupt .docx: it unpacks to {unpacked / 1e6:.0f} MB, over the "
                        f"{MAX_DOCX_UNPACKED_BYTES // 10**6} MB limit")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[tuple[str, str]] = []  # (kind, text): kind is heading, title, list, para or table
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = _table_rows(item)
                if rows:
                    blocks.append(("table", "\n".join(rows)))
                continue
            text = " ".join(item.text.split())
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            name = style.lower()
            kind = ("title" if name == "title" else
                    "heading" if name.startswith(("heading", "subtitle")) else
                    "list" if name.startswith("list") else "para")
            blocks.append((kind, f"- {text}" if kind == "list" else text))
        props = document.core_properties
        meta_title = " ".join((props.title or "").split())
        created, modified = props.created, props.modified
    except LoadError:
        raise
    except Exception as exc:  # python-docx, zipfile and lxml raise many kinds on a damaged file
        raise LoadError(f"corrupt .docx, cannot be read as a Word document: {str(exc).strip() or type(exc).__name__}"
                        ) from exc

    fields: dict[str, Any] = {}
    if meta_title:
        fields["title"] = meta_title
    else:
        first = next((i for i, (kind, _) in enumerate(blocks) if kind in ("title", "heading")), None)
        if first is None and blocks and blocks[0][0] == "para" and len(blocks[0][1]) <= 150:
            first = 0
        if first is not None:
            fields["title"] = blocks[first][1]
            if first == 0:  # the headline above the body: not body text too
                blocks = blocks[1:]
    for stamp in (created, modified):
        if isinstance(stamp, dt.datetime) and stamp.replace(tzinfo=stamp.tzinfo or dt.timezone.utc) != _TEMPLATE_STAMP:
            fields["date"] = stamp
            break
    text = ""
    for n, (kind, block) in enumerate(blocks):
        if n:
            previous = blocks[n - 1][0]
            tight = previous in ("heading", "title") or (previous == kind == "list")
            text += "\n" if tight else "\n\n"
        text += block
    fields["text"] = normalize_text(text)
    return fields


def _table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            if any(cell._tc is other for other in seen):  # a merged cell comes back once per grid column
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
