"""JSON and JSONL records -> articles, and the one place where parsed fields (from any format)
become an `Article`: its id, title, date and the source a reader is shown (`build_article`).
A JSONL dump of any size is read line by line (`stream_jsonl`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from index.errors import LoadError
from index.loading.dates import parse_date
from index.loading.encodings import bom_encoding, decode_bytes
from index.loading.text import normalize_text
from index.models import Article

_STEM_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[-_ ]*")


MAX_WARNINGS = 50  # per file: a dump with a million bad lines must not fill memory with them


def stream_jsonl(path: Path, shown: str | None, warnings: list[str],
                 on_bytes: Callable[[int], None] | None = None) -> Iterator[Article]:
    """The articles of a JSONL file, one line at a time: memory does not grow with the file.

    A line that is not valid JSON, or holds no article, is reported in `warnings` with its
    line number (the first `MAX_WARNINGS` of them, then a count) and skipped. `on_bytes` gets
    the bytes read so far after each article, for progress. Records are numbered as in
    `load_file` (an id without a URL or `id` field is stable across runs).

    Raises:
        LoadError: The file cannot be read, is empty, or is binary.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise LoadError("no such file") from None
    except IsADirectoryError:
        raise LoadError("is a directory") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    skipped = 0

    def warn(message: str) -> None:
        nonlocal skipped
        if len(warnings) < MAX_WARNINGS:
            warnings.append(message)
        else:
            skipped += 1

    with handle:
        head = handle.read(8192)
        handle.seek(0)
        if not head.strip():
            raise LoadError("empty file" if not head else "file contains only whitespace")
        encoding = bom_encoding(head)
        if encoding is not None:  # UTF-16/32: decode the whole stream, still line by line
            lines: Iterator[tuple[str, int]] = _decoded_lines(handle, encoding)
        else:
            decode_bytes(head)  # refuses binary content before anything is indexed
            lines = _utf8_lines(handle, warn)
        records = _numbered_records(lines, warn)
        previous = next(records, None)
        n = 0
        while previous is not None:
            following = next(records, None)
            record, line_number, offset = previous
            single = n == 0 and following is None  # a one-record file keeps the plain id
            article = article_from_record(record, path, n, 1 if single else 2, warnings, shown,
                                           where=f"line {line_number}", warn=warn)
            n += 1
            if article is not None:
                yield article
            if on_bytes:
                on_bytes(offset)
            previous = following
    if skipped:
        warnings.append(f"... and {skipped} more line(s) with the same kinds of problems")


def _utf8_lines(handle: Any, warn: Callable[[str], None]) -> Iterator[tuple[str, int]]:
    """(line, bytes read so far) for a UTF-8 file; a line that is not UTF-8 is read as Windows-1252."""
    offset = 0
    for number, raw in enumerate(handle, start=1):
        offset += len(raw)
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8"), offset
        except UnicodeDecodeError:
            warn(f"line {number}: not UTF-8; decoded as Windows-1252")
            yield raw.decode("cp1252", errors="replace"), offset


def _decoded_lines(handle: Any, encoding: str) -> Iterator[tuple[str, int]]:
    import codecs

    reader = codecs.getreader(encoding)(handle)
    for line in reader:
        yield line.lstrip("\ufeff"), handle.tell()


def _numbered_records(lines: Iterator[tuple[str, int]], warn: Callable[[str], None]
                      ) -> Iterator[tuple[Any, int, int]]:
    for number, (line, offset) in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line), number, offset
        except json.JSONDecodeError as exc:
            warn(f"line {number}: invalid JSON ({exc.msg}), skipped")


def json_records(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    return data if isinstance(data, list) else [data]


def article_from_record(record: Any, path: Path, n: int, total: int, warnings: list[str], shown: str | None,
                         where: str | None = None, warn: Callable[[str], None] | None = None) -> Article | None:
    where = where or f"record {n + 1}"
    warn = warn or warnings.append
    if not isinstance(record, dict):
        warn(f"{where}: expected an object, got {type(record).__name__}, skipped")
        return None
    fields = {str(k).lower(): v for k, v in record.items()}
    text = next((fields[k] for k in ("text", "content", "body") if isinstance(fields.get(k), str)), None)
    if text is None:
        warn(f"{where}: no 'text' or 'content' field, skipped")
        return None
    fields["text"] = normalize_text(text)
    fields.setdefault("date", fields.get("published") or fields.get("published_at"))
    return build_article(fields, path, index=n if total > 1 else None, warnings=warnings, where=where,
                          shown=shown, warn=warn)


def build_article(fields: dict[str, Any], path: Path, index: int | None, warnings: list[str],
                   where: str = "", shown: str | None = None,
                   warn: Callable[[str], None] | None = None) -> Article | None:
    prefix = f"{where}: " if where else ""
    warn = warn or warnings.append
    text = fields.get("text") or ""
    if not text.strip():
        warn(f"{prefix}no article text, skipped")
        return None
    resolved = str(path.resolve())
    url = _clean(fields.get("url"))
    date = None
    raw_date = fields.get("date")
    if raw_date not in (None, ""):
        date = parse_date(raw_date)
        if date is None:
            warn(f"{prefix}unrecognized date {str(raw_date)[:80]!r}, left empty")
    stem_date = _STEM_DATE.match(path.stem)
    if date is None and stem_date:
        date = parse_date(stem_date.group(1))
    title = _clean(fields.get("title")) or _title_from_stem(path.stem)
    if index is not None and not _clean(fields.get("title")):
        title = f"{title} #{index + 1}"
    explicit_id = _clean(fields.get("id"))
    if explicit_id:
        article_id = explicit_id
    elif url:
        article_id = url
    else:
        digest = hashlib.sha256(f"{resolved}#{index}".encode()).hexdigest()[:8]
        slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "article"
        article_id = f"{slug}-{index + 1}-{digest}" if index is not None else f"{slug}-{digest}"
    # What a reader is shown: never the server's absolute path (that is `path`).
    source = url or _clean(fields.get("source")) or shown or path.name
    return Article(id=article_id, title=normalize_text(title), text=text, source=source,
                   date=date, url=url, path=resolved, pages=tuple(fields.get("pages") or ()))


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _title_from_stem(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", _STEM_DATE.sub("", stem)).strip()
    return " ".join(w[:1].upper() + w[1:] for w in words.split()) or stem
