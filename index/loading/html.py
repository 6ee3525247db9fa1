"""Local HTML files -> title, date, URL and article text: the page's metadata read with lxml, its
text through the same trafilatura extraction as web pages (`index.loading.web.extract`), with a
plain block-by-block fallback for tiny pages and pages it finds no text in (`html_body`)."""

from __future__ import annotations

import copy
import re
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import DEFAULT_CONFIG as _TRAFILATURA_CONFIG

from index.errors import LoadError
from index.loading.text import normalize_text
from index.loading.web.extract import article_text, extract_main

# Below this many characters of text on the whole page, trafilatura stops trusting its main-text
# extraction and falls back to the page's raw text, one line per text run: "Talks with <a>NATO</a>,"
# would come back as three paragraphs. Such a page has no boilerplate worth the extractor.
TINY_PAGE_CHARS = _TRAFILATURA_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # lxml refuses them in text it sets


def html_tree(text: str) -> lxml.html.HtmlElement | None:
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


def parse_html(text: str) -> dict[str, Any]:
    tree = html_tree(text)
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
    return plain_html_text(tree, title)


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td")
# Script, style and page furniture are never article text. Not the whole <head>: in malformed
# pages (an unclosed <head>) the article sits inside it.
_FURNITURE = ("script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "aside", "form",
              "svg", "title", "meta", "link")


def plain_html_text(tree: lxml.html.HtmlElement | None, title: str) -> str:
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
