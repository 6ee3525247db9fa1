"""Markdown files -> title, front-matter fields and plain text, through markdown-it-py's token
stream (CommonMark, with tables)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.errors import LoadError
from index.loading.html import html_tree, plain_html_text
from index.loading.text import normalize_text

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def parse_markdown(text: str) -> dict[str, Any]:
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
    (`plain_html_text`: no tags, comments, scripts, styles or page furniture) as its own block.

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
            text = plain_html_text(html_tree(token.content), "")
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
