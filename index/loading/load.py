"""Files and folders -> `Article`s.

Reads .txt, .md, .html/.htm, .json, .jsonl, .pdf and .docx. Metadata (title, date, url, id)
comes from the usual places: a `date YYYY-MM-DD` header line, `Key: value` header lines, YAML
front matter, HTML `<title>`/`<meta>`/`<time>`, JSON fields, PDF and Word document properties.
A file that cannot be read raises `LoadError` with the reason; callers report it and go on with
the next file.

Each format has its module: `markdown` (markdown-it-py), `html` (trafilatura, as web pages),
`records` (JSON, JSONL, and the fields -> `Article` rule all formats share), `encodings` (bytes
-> text), `pdf` (pypdf), `docx` (python-docx). Plain text is read here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import LoadError, UnsupportedFileError
from index.loading.docx import parse_docx
from index.loading.encodings import decode_bytes
from index.loading.html import parse_html
from index.loading.markdown import parse_markdown
from index.loading.pdf import parse_pdf
from index.loading.records import article_from_record, build_article, json_records, stream_jsonl
from index.loading.text import normalize_text
from index.models import Article

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf", ".docx")
# Binary documents: read from their bytes by their own parser, never decoded as text.
_DOCUMENT_PARSERS = {".pdf": parse_pdf, ".docx": parse_docx}
MAX_FILE_BYTES = 50 * 1024 * 1024

# `date 2024-02-27`, optionally with a clock time; the body may follow on the same line.
_HEADER_DATE = re.compile(
    r"^\s*date\s*[:=]?\s*(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
    r"(?![\d:])[ \t]*", re.I)
_HEADER_FIELD = re.compile(r"^\s*(title|date|url|source|id)\s*:\s*(.+?)\s*$", re.I)


@dataclass
class LoadedFile:
    path: Path
    articles: list[Article]
    warnings: list[str] = field(default_factory=list)


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """Yield (file, named_explicitly) for every file under `paths`, folders recursively, sorted.

    Hidden files and folders found while walking are left out; a path named explicitly is
    always yielded, even when missing, so that the caller reports it.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                # A broken symbolic link is yielded too, so that it is reported, not ignored.
                if (child.is_file() or (child.is_symlink() and not child.exists())) and \
                        not any(part.startswith(".") for part in rel):
                    yield child, False
        else:
            yield path, True


def iter_sources(paths: Iterable[str | Path], *, root: str | Path | None = None) -> Iterator[tuple[Path, bool, str]]:
    """`iter_files`, with the name a reader is shown for each file: its path relative to the
    folder it was found in (`world/2024-02-27-macron.txt`), or its file name when named
    explicitly. Never the server's absolute path: that stays in `Article.path`.

    With `root` (a folder), every file is shown relative to `root` instead, whether it is
    reached through `root` itself, a subfolder or its own path, so that a file keeps one source
    however it is named (`qa watch` ingests single changed files of the folder it syncs).

    Raises:
        ValueError: With `root`, a path of `paths` is not at or under it (checked for each
            path before any of its files is yielded). A fallback to the bare name would give
            the file a second source, and so a second copy in the index.
    """
    for raw in paths:
        top = Path(raw).expanduser()
        if root is not None:
            relative_source(top, root)  # outside root: raise before anything is read
        for path, explicit in iter_files([top]):
            if root is not None:
                shown = relative_source(path, root)
            else:
                shown = path.name if explicit else path.relative_to(top).as_posix()
            yield path, explicit, shown


def relative_source(path: str | Path, root: str | Path) -> str:
    """`path` relative to the folder `root`, as a source is shown (`world/a.txt`): compared as
    written (made absolute), then with symbolic links resolved (`/tmp` may be `/private/tmp`).

    Raises:
        ValueError: `path` is not at or under `root`.
    """
    path, root = Path(path).expanduser(), Path(root).expanduser()
    for a, b in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))), (path.resolve(), root.resolve())):
        try:
            relative = a.relative_to(b).as_posix()
        except ValueError:
            continue
        return path.name if relative == "." else relative
    raise ValueError(f"{path} is not inside {root}: with root=, sources are shown relative to that folder, "
                     f"so every path ingested must be at or under it")


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def load_file(path: Path, shown: str | None = None) -> LoadedFile:
    """Read one file into articles, or raise `LoadError` saying why it cannot be.

    `shown` is the source a reader sees when the article has no URL (default: the file name).
    A JSONL file is read whole here; `stream_jsonl` reads one of any size in bounded memory.
    """
    if not is_supported(path):
        raise UnsupportedFileError(
            f"unsupported file type '{path.suffix or path.name}' "
            f"(supported: {', '.join(SUPPORTED_SUFFIXES)})"
        )
    if path.suffix.lower() == ".jsonl":
        warnings: list[str] = []
        articles = list(stream_jsonl(path, shown, warnings))
        if not articles:
            raise LoadError("; ".join(warnings) or "no article text found")
        return LoadedFile(path, articles, warnings)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 10**6} MB limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError("broken symbolic link" if path.is_symlink() else "no such file") from None
    except IsADirectoryError:
        raise LoadError("is a directory") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError("empty file" if not data else "file contains only whitespace")
    suffix = path.suffix.lower()
    if suffix in _DOCUMENT_PARSERS:
        loaded = LoadedFile(path, [])
        fields = _DOCUMENT_PARSERS[suffix](data, loaded.warnings)
        article = build_article(fields, path, index=None, warnings=loaded.warnings, shown=shown)
        if article is None:
            raise LoadError("; ".join(loaded.warnings) or "no article text found")
        loaded.articles.append(article)
        return loaded
    text, warnings = decode_bytes(data)
    loaded = LoadedFile(path, [], warnings)
    if suffix == ".json":
        records = json_records(text)
        for n, record in enumerate(records):
            article = article_from_record(record, path, n, len(records), loaded.warnings, shown)
            if article is not None:
                loaded.articles.append(article)
    else:
        fields = {".html": parse_html, ".htm": parse_html, ".md": parse_markdown,
                  ".markdown": parse_markdown}.get(suffix, _parse_text)(text)
        article = build_article(fields, path, index=None, warnings=loaded.warnings, shown=shown)
        if article is not None:
            loaded.articles.append(article)
    if not loaded.articles:
        raise LoadError("; ".join(loaded.warnings) or "no article text found")
    return loaded


def _parse_text(text: str) -> dict[str, Any]:
    """Plain text with optional header lines (`date 2024-02-27`, `Title: ...`)."""
    fields: dict[str, Any] = {}
    lines = text.lstrip("\ufeff").split("\n")
    while lines:
        match = _HEADER_FIELD.match(lines[0])
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2))
            lines.pop(0)
            continue
        match = _HEADER_DATE.match(lines[0])
        if match and "date" not in fields:
            fields["date"] = match.group(1)
            rest = lines[0][match.end():]
            if rest.strip():
                lines[0] = rest  # the body starts on the header line itself
            else:
                lines.pop(0)
            continue
        if not lines[0].strip():
            lines.pop(0)
            continue
        break
    body = normalize_text("\n".join(lines))
    if "title" not in fields:
        first, _, rest = body.partition("\n\n")
        # A short first paragraph without final punctuation is a headline.
        if rest and len(first) <= 150 and "\n" not in first and first[-1:] not in ".!?:;,\"”":
            fields["title"], body = first, rest
    fields["text"] = body
    return fields


