"""Files and folders -> `Article`s.

Reads .txt, .md, .html/.htm, .json and .jsonl. Metadata (title, date, url, id) comes from the
usual places: a `date YYYY-MM-DD` header line, `Key: value` header lines, YAML front matter,
HTML `<title>`/`<meta>`/`<time>`, JSON fields. A file that cannot be read raises `LoadError`
with the reason; callers report it and go on with the next file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

from index.dates import parse_date
from index.errors import LoadError, UnsupportedFileError
from index.models import Article
from index.text import normalize_text

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024

# `date 2024-02-27`, optionally with a clock time; the body may follow on the same line.
_HEADER_DATE = re.compile(
    r"^\s*date\s*[:=]?\s*(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
    r"(?![\d:])[ \t]*", re.I)
_HEADER_FIELD = re.compile(r"^\s*(title|date|url|source|id)\s*:\s*(.+?)\s*$", re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_STEM_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[-_ ]*")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|`+)")


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
                if child.is_file() and not any(part.startswith(".") for part in rel):
                    yield child, False
        else:
            yield path, True


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def load_file(path: Path) -> LoadedFile:
    """Read one file into articles, or raise `LoadError` saying why it cannot be."""
    if not is_supported(path):
        raise UnsupportedFileError(
            f"unsupported file type '{path.suffix or path.name}' "
            f"(supported: {', '.join(SUPPORTED_SUFFIXES)})"
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 10**6} MB limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError("no such file") from None
    except IsADirectoryError:
        raise LoadError("is a directory") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError("empty file" if not data else "file contains only whitespace")
    text, warnings = decode_bytes(data)
    loaded = LoadedFile(path, [], warnings)
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        records = _json_records(text, suffix == ".jsonl", loaded.warnings)
        for n, record in enumerate(records):
            article = _article_from_record(record, path, n, len(records), loaded.warnings)
            if article is not None:
                loaded.articles.append(article)
    else:
        fields = {".html": _parse_html, ".htm": _parse_html, ".md": _parse_markdown,
                  ".markdown": _parse_markdown}.get(suffix, _parse_text)(text)
        article = _build_article(fields, path, index=None, warnings=loaded.warnings)
        if article is not None:
            loaded.articles.append(article)
    if not loaded.articles:
        raise LoadError("; ".join(loaded.warnings) or "no article text found")
    return loaded


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Decode UTF-8 (with or without BOM), falling back to Windows-1252/Latin-1.

    Raises `LoadError` for binary content rather than indexing garbage.
    """
    if b"\x00" in data[:8192]:
        raise LoadError("binary content (NUL bytes), not a text file")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "Latin-1"
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) < 0xA0)
    if controls > max(2, len(text) // 100):
        raise LoadError("binary content (not valid UTF-8 or Latin-1 text)")
    return text, [f"not UTF-8; decoded as {encoding}"]


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


def _parse_markdown(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"invalid YAML front matter: {exc}") from exc
        if isinstance(meta, dict):
            fields.update({str(k).lower(): v for k, v in meta.items()})
        text = text.lstrip("\ufeff")[match.end():]
    heading = _MD_HEADING.search(text)
    if heading and "title" not in fields and not text[: heading.start()].strip():
        fields["title"] = heading.group(1)
        text = text[heading.end():]
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_MARKS.sub("", _MD_LINK.sub(r"\1", text))
    fields["text"] = normalize_text(text)
    return fields


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td")


def _parse_html(text: str) -> dict[str, Any]:
    soup = BeautifulSoup(text, "html.parser")

    def meta(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content", "").strip():
                return tag["content"].strip()
        return None

    fields: dict[str, Any] = {}
    title = meta("og:title", "twitter:title", "title")
    if not title and soup.title and soup.title.get_text(strip=True):
        title = soup.title.get_text(strip=True)
    if not title and soup.find("h1"):
        title = soup.find("h1").get_text(" ", strip=True)
    if title:
        fields["title"] = title
    time_tag = soup.find("time", attrs={"datetime": True})
    date = meta("article:published_time", "date", "pubdate", "publishdate", "dc.date", "DC.date")
    fields["date"] = date or (time_tag["datetime"] if time_tag else None)
    canonical = soup.find("link", attrs={"rel": "canonical"})
    fields["url"] = meta("og:url") or (canonical.get("href") if canonical else None)
    # Script, style and page furniture are never article text.
    for tag in soup(["script", "style", "noscript", "template", "iframe", "nav", "header",
                     "footer", "aside", "form", "svg", "head"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = [b for b in root.find_all(_BLOCKS) if not b.find(_BLOCKS)]
    if blocks:
        for br in root.find_all("br"):
            br.replace_with(" ")
        # Strings joined as they stand: inline tags (<a>, <em>) must not add spaces.
        paragraphs = [" ".join(b.get_text().split()) for b in blocks]
        if title and paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        body = "\n\n".join(p for p in paragraphs if p)
    else:
        body = root.get_text("\n", strip=True)
    fields["text"] = normalize_text(body)
    return fields


def _json_records(text: str, lines: bool, warnings: list[str]) -> list[dict[str, Any]]:
    if lines:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                warnings.append(f"line {number}: invalid JSON ({exc.msg})")
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    return data if isinstance(data, list) else [data]


def _article_from_record(record: Any, path: Path, n: int, total: int, warnings: list[str]) -> Article | None:
    where = f"record {n + 1}"
    if not isinstance(record, dict):
        warnings.append(f"{where}: expected an object, got {type(record).__name__}")
        return None
    fields = {str(k).lower(): v for k, v in record.items()}
    text = next((fields[k] for k in ("text", "content", "body") if isinstance(fields.get(k), str)), None)
    if text is None:
        warnings.append(f"{where}: no 'text' or 'content' field")
        return None
    fields["text"] = normalize_text(text)
    fields.setdefault("date", fields.get("published") or fields.get("published_at"))
    return _build_article(fields, path, index=n if total > 1 else None, warnings=warnings, where=where)


def _build_article(fields: dict[str, Any], path: Path, index: int | None, warnings: list[str],
                   where: str = "") -> Article | None:
    prefix = f"{where}: " if where else ""
    text = fields.get("text") or ""
    if not text.strip():
        warnings.append(f"{prefix}no article text")
        return None
    resolved = str(path.resolve())
    url = _clean(fields.get("url"))
    date = None
    raw_date = fields.get("date")
    if raw_date not in (None, ""):
        date = parse_date(raw_date)
        if date is None:
            warnings.append(f"{prefix}unrecognized date {str(raw_date)!r}, left empty")
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
    source = url or _clean(fields.get("source")) or resolved
    return Article(id=article_id, title=normalize_text(title), text=text, source=source,
                   date=date, url=url, path=resolved)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _title_from_stem(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", _STEM_DATE.sub("", stem)).strip()
    return " ".join(w[:1].upper() + w[1:] for w in words.split()) or stem
