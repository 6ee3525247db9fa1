"""Files and folders -> `Article`s.

Reads .txt, .md, .html/.htm, .json and .jsonl. Metadata (title, date, url, id) comes from the
usual places: a `date YYYY-MM-DD` header line, `Key: value` header lines, YAML front matter,
HTML `<title>`/`<meta>`/`<time>`, JSON fields. A file that cannot be read raises `LoadError`
with the reason; callers report it and go on with the next file.

Markdown is parsed by markdown-it-py (CommonMark, with tables) and its token stream rendered to
plain text (`markdown_text`). HTML goes through the same trafilatura extraction as web pages
(`index.loading.web.extract`), with a plain fallback for tiny pages and pages it finds no text in
(`_html_body`).
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from trafilatura.settings import DEFAULT_CONFIG as _TRAFILATURA_CONFIG

from index.loading.dates import parse_date
from index.errors import LoadError, UnsupportedFileError
from index.models import Article
from index.loading.text import normalize_text
from index.loading.web.extract import article_text, extract_main

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
    fields["text"] = markdown_text(text)
    return fields


# CommonMark, raw HTML allowed (its text is kept, see below), plus GitHub's tables and ~~strikethrough~~.
# markdown-it skips, silently, whatever lies deeper than `maxNesting` block levels (a quote in a
# list item is 3); CommonMark's preset allows 20, under ten levels of nested lists. 100 stays far
# from Python's recursion limit, and deeper files fail with that reason (`markdown_text`).
MARKDOWN_MAX_NESTING = 100
_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": MARKDOWN_MAX_NESTING}).enable(["table", "strikethrough"])
_CONTAINERS = ("blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)


def markdown_text(source: str) -> str:
    """Markdown -> plain text, by walking markdown-it-py's token stream.

    Each block (paragraph, heading, list item, table, code block, HTML block) keeps its text;
    blocks are separated as in the source: a blank line between them stays a paragraph break,
    blocks on consecutive lines (a heading right above its paragraph, the items of a tight list,
    a list right under its introduction) stay on consecutive lines, so that sentence splitting
    and list detection (`qa.answering.sentence_roles`) see what they saw in the source. Markup goes:
    emphasis, code spans, links (their text stays), images (their alt text stays), block-quote
    `>` markers, heading `#`s, escapes and entities (decoded), link reference definitions,
    thematic breaks. List items keep their marker (`- `, `1. `), as in the source. A table is
    one block, a row a line, cells joined by ` | `. Code keeps its text verbatim. Raw HTML:
    inline tags are dropped (`<br>` is a line break), and an HTML block keeps its visible text
    (`_plain_html_text`: no tags, comments, scripts, styles or page furniture) as its own block.

    Raises:
        LoadError: Block quotes and lists nested deeper than markdown-it reads
            (`MARKDOWN_MAX_NESTING`): the text inside would be lost.
    """
    blocks: list[tuple[str, int, int]] = []  # (text, first line, line after the last)
    marker = ""  # a list item's marker, given to the first block inside it
    tokens = _MARKDOWN.parse(source)
    if any(token.type in _CONTAINERS and token.level >= MARKDOWN_MAX_NESTING - 1 for token in tokens):
        raise LoadError(f"Markdown nested too deep (over {MARKDOWN_MAX_NESTING} levels of block quotes and lists, "
                        f"a list counting two): the text inside cannot be read")
    n = 0
    while n < len(tokens):
        token = tokens[n]
        text: str | None = None
        if token.type == "list_item_open":
            marker = (token.info + token.markup if token.info else token.markup) + " "
        elif token.type == "list_item_close":
            marker = ""  # an empty item: its marker goes with it
        elif token.type in ("paragraph_open", "heading_open"):
            text = _inline_text(tokens[n + 1])
            n += 2  # the inline token and the closing one
        elif token.type in ("fence", "code_block"):
            text = token.content.rstrip("\n")
        elif token.type == "html_block":
            text = _plain_html_text(_html_tree(token.content), "")
        elif token.type == "table_open":
            rows: list[list[str]] = []
            while tokens[n].type != "table_close":
                if tokens[n].type == "tr_open":
                    rows.append([])
                elif tokens[n].type == "inline":
                    rows[-1].append(_inline_text(tokens[n]).strip())
                n += 1
            text = "\n".join(" | ".join(cell for cell in row if cell) for row in rows)
        if text is not None and token.map is not None and text.strip():
            blocks.append((marker + text, token.map[0], token.map[1]))
            marker = ""
        n += 1
    out: list[str] = []
    previous_end = None
    for text, start, end in blocks:
        if previous_end is not None:
            out.append("\n" if start <= previous_end else "\n\n")
        out.append(text)
        previous_end = end
    return normalize_text("".join(out))


def _inline_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "image"):  # an image's content is its alt text
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "html_inline" and _HTML_BREAK.fullmatch(child.content):
            parts.append("\n")
    return "".join(parts)


# Below this many characters of text on the whole page, trafilatura stops trusting its main-text
# extraction and falls back to the page's raw text, one line per text run: "Talks with <a>NATO</a>,"
# would come back as three paragraphs. Such a page has no boilerplate worth the extractor.
TINY_PAGE_CHARS = _TRAFILATURA_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # lxml refuses them in text it sets


def _html_tree(text: str) -> lxml.html.HtmlElement | None:
    """The parsed document (always its <html> element, a fragment such as "<p>...</p>" too), or
    None when there is nothing to parse (whitespace, comments).

    trafilatura's parser settings, but with libxml2's nesting limit raised from 256 to 2048
    levels (`huge_tree`): libxml2 stops reading at the limit, so a page nested deeper would lose
    everything after that point. One that is nested deeper still fails with that reason rather
    than being read in part. A parser per call: lxml parsers are not to be shared by threads.

    Raises:
        LoadError: The HTML is nested deeper than libxml2 reads.
    """
    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False)
    # An XHTML file's XML declaration: lxml refuses one in a str (the file is decoded already).
    text = _CONTROL_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1))
    try:
        tree = lxml.html.document_fromstring(text, parser=parser)
    except lxml.etree.ParserError:  # nothing but whitespace or comments
        return None
    if any("Excessive depth" in error.message for error in parser.error_log):
        raise LoadError("HTML nested more than 2048 elements deep: it cannot be read past that point")
    return tree


def _parse_html(text: str) -> dict[str, Any]:
    tree = _html_tree(text)
    if tree is None:
        return {"text": ""}

    def first(path: str, **variables: str) -> Any:
        found = tree.xpath(path, **variables)
        if not found:
            return None
        return str(found[0]) if isinstance(found[0], str) else found[0]  # an attribute: a plain str

    def meta(*names: str) -> str | None:
        for name in names:
            tag = first("//meta[@property=$name]", name=name)
            if tag is None:
                tag = first("//meta[@name=$name]", name=name)
            if tag is not None and (tag.get("content") or "").strip():
                return tag.get("content").strip()
        return None

    fields: dict[str, Any] = {}
    title = meta("og:title", "twitter:title", "title")
    title_tag, h1 = first("//title"), first("//h1")
    if not title and title_tag is not None and title_tag.text_content().strip():
        title = title_tag.text_content().strip()
    if not title and h1 is not None:
        title = " ".join(s.strip() for s in h1.itertext() if s.strip())
    if title:
        fields["title"] = title
    date = meta("article:published_time", "date", "pubdate", "publishdate", "dc.date", "DC.date")
    fields["date"] = date or first("//time[@datetime]/@datetime")
    canonical = first('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href')
    fields["url"] = meta("og:url") or canonical
    fields["text"] = normalize_text(_html_body(tree, title or ""))
    return fields


def _html_body(tree: lxml.html.HtmlElement, title: str) -> str:
    """The article text of a page: trafilatura's main text, as for web pages; the plain text of
    the page's blocks when the page is tiny (`TINY_PAGE_CHARS`) or trafilatura finds nothing."""
    if len(trafilatura.html2txt(tree)) >= TINY_PAGE_CHARS:
        document = extract_main(tree)
        if document is not None:
            # The headline as trafilatura reads it (as for web pages: "Title", where <title>
            # says "Title | Site") or as the title rule above does.
            text = article_text(document.text, normalize_text(document.title or ""), normalize_text(title))
            if text:
                return text
    return _plain_html_text(tree, title)


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td")
# Script, style and page furniture are never article text. Not the whole <head>: in malformed
# pages (an unclosed <head>) the article sits inside it.
_FURNITURE = ("script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "aside", "form",
              "svg", "title", "meta", "link")


def _plain_html_text(tree: lxml.html.HtmlElement | None, title: str) -> str:
    """Every block of the page's <article>, else <main>, else <body> (one paragraph each,
    furniture left out), or its lines of text when it has no blocks; the title repeated as
    the first block is dropped."""
    if tree is None:
        return ""
    tree = copy.deepcopy(tree)
    lxml.etree.strip_elements(tree, lxml.etree.Comment, lxml.etree.ProcessingInstruction, *_FURNITURE,
                              with_tail=False)
    root = next((found[0] for path in ("//article", "//main", "//body") if (found := tree.xpath(path))), tree)
    blocks = list(root.iter(*_BLOCKS))
    if not blocks:
        return "\n".join(s.strip() for s in root.itertext() if s.strip())
    for br in root.iter("br"):
        br.tail = " " + (br.tail or "")
    # Inline tags (<a>, <em>) add no spaces; each block's own text, without the blocks nested in
    # it (malformed HTML), so that no text is lost or repeated.
    paragraphs = [" ".join(_own_text(block).split()) for block in blocks]
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return "\n\n".join(p for p in paragraphs if p)


def _own_text(block: lxml.html.HtmlElement) -> str:
    """The text of `block` that is not inside a nested block (iteratively: no recursion limit
    on deeply nested markup)."""
    parts, nested = [block.text or ""], 0  # nested: open elements inside a nested block
    for event, element in lxml.etree.iterwalk(block, events=("start", "end")):
        if element is block:
            continue
        if event == "start":
            if nested or element.tag in _BLOCKS:
                nested += 1
            else:
                parts.append(element.text or "")
            continue
        if nested:
            nested -= 1
        if not nested:  # a tail belongs to the parent: kept when the parent's text is
            parts.append(element.tail or "")
    return "".join(parts)


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
