"""Files and folders -> `Article`s.

Reads .txt, .md, .html/.htm, .json and .jsonl. Metadata (title, date, url, id) comes from the
usual places: a `date YYYY-MM-DD` header line, `Key: value` header lines, YAML front matter,
HTML `<title>`/`<meta>`/`<time>`, JSON fields. A file that cannot be read raises `LoadError`
with the reason; callers report it and go on with the next file.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

from index.loading.dates import parse_date
from index.errors import LoadError, UnsupportedFileError
from index.models import Article
from index.loading.text import normalize_text

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
    text, warnings = decode_bytes(data)
    loaded = LoadedFile(path, [], warnings)
    suffix = path.suffix.lower()
    if suffix == ".json":
        records = _json_records(text)
        for n, record in enumerate(records):
            article = _article_from_record(record, path, n, len(records), loaded.warnings, shown)
            if article is not None:
                loaded.articles.append(article)
    else:
        fields = {".html": _parse_html, ".htm": _parse_html, ".md": _parse_markdown,
                  ".markdown": _parse_markdown}.get(suffix, _parse_text)(text)
        article = _build_article(fields, path, index=None, warnings=loaded.warnings, shown=shown)
        if article is not None:
            loaded.articles.append(article)
    if not loaded.articles:
        raise LoadError("; ".join(loaded.warnings) or "no article text found")
    return loaded


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _bom_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 when `head` starts with its byte-order mark (what Windows editors
    save as "Unicode"), else None."""
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Decode UTF-8 (with or without BOM), UTF-16 and UTF-32 (with a BOM), falling back to
    Windows-1252/Latin-1.

    Raises `LoadError` for binary content rather than indexing garbage.
    """
    encoding = _bom_encoding(data[:4])
    if encoding is not None:
        try:
            return data.decode(encoding).lstrip("\ufeff"), []
        except UnicodeDecodeError as exc:
            raise LoadError(f"starts with a {encoding.upper()} byte-order mark but is not {encoding.upper()} "
                            f"text (byte {exc.start})") from None
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
    # Not the whole <head>: in malformed pages (an unclosed <head>) the article sits inside it.
    for tag in soup(["script", "style", "noscript", "template", "iframe", "nav", "header",
                     "footer", "aside", "form", "svg", "title", "meta", "link"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = root.find_all(_BLOCKS)
    if blocks:
        for br in root.find_all("br"):
            br.replace_with(" ")
        # Each block's own text, without the blocks inside it: in malformed HTML (an unclosed
        # <p> or <b>) blocks nest, and a block's text must be neither lost nor repeated.
        # Strings are joined as they stand: inline tags (<a>, <em>) must not add spaces.
        paragraphs = [" ".join(_own_text(b).split()) for b in blocks]
        if title and paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        body = "\n\n".join(p for p in paragraphs if p)
    else:
        body = root.get_text("\n", strip=True)
    fields["text"] = normalize_text(body)
    return fields


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
        encoding = _bom_encoding(head)
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
            article = _article_from_record(record, path, n, 1 if single else 2, warnings, shown,
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


def _own_text(block: Any) -> str:
    """The text of `block` that is not inside a nested block."""
    parts = []
    for string in block.find_all(string=True):
        owner = string.find_parent(_BLOCKS)
        if owner is block:
            parts.append(str(string))
    return "".join(parts)


def _json_records(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    return data if isinstance(data, list) else [data]


def _article_from_record(record: Any, path: Path, n: int, total: int, warnings: list[str], shown: str | None,
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
    return _build_article(fields, path, index=n if total > 1 else None, warnings=warnings, where=where,
                          shown=shown, warn=warn)


def _build_article(fields: dict[str, Any], path: Path, index: int | None, warnings: list[str],
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
                   date=date, url=url, path=resolved)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _title_from_stem(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", _STEM_DATE.sub("", stem)).strip()
    return " ".join(w[:1].upper() + w[1:] for w in words.split()) or stem
