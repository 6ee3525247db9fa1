"""A fetched PDF or Word (.docx) file -> an `Article`, read by the same parsers as local files
(`index.loading.pdf`, `index.loading.docx`): its text (with PDF page starts), and title and
date from the document's metadata.

A URL serves a document when its Content-Type says so, or when a server labels it generically
(`application/octet-stream`) and the bytes are a PDF (`%PDF-`) or the URL ends in `.docx` with a
zip inside. The body was read under the fetcher's size limit (`web.max_bytes`), as a page is.
A document that cannot be read fails with the parser's reason (encrypted, scanned, corrupt).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from index.errors import ExtractError, LoadError
from index.loading.dates import parse_date
from index.loading.docx import parse_docx
from index.loading.pdf import parse_pdf
from index.loading.text import normalize_text
from index.loading.web.urls import canonicalize
from index.models import Article

PDF_TYPES = ("application/pdf", "application/x-pdf", "application/acrobat")
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
# What servers send for a file they do not know the type of: then the bytes (and the name) decide.
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "application/download",
                 "application/force-download", "application/x-download")
_PARSERS = {".pdf": parse_pdf, ".docx": parse_docx}


def document_suffix(content_type: str, url: str, content: bytes | str) -> str | None:
    """".pdf" or ".docx" when the response is such a document, else None (a page, or not ours)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in PDF_TYPES:
        return ".pdf"
    if kind in DOCX_TYPES:
        return ".docx"
    if kind in GENERIC_TYPES and isinstance(content, bytes):
        if content[:1024].lstrip().startswith(b"%PDF-"):
            return ".pdf"
        if content.startswith(b"PK\x03\x04") and urlsplit(url).path.lower().endswith(".docx"):
            return ".docx"
    return None


def extract_document(content: bytes, page_url: str, suffix: str, *, fallback: Any = None) -> Article:
    """The article of a fetched document. `fallback` (a `Fallback` from a feed or sitemap) gives
    the title where the document has none, and its date wins, as for pages.

    Raises:
        ExtractError: The document cannot be read (the parser's reason), or holds no text.
    """
    warnings: list[str] = []
    try:
        fields = _PARSERS[suffix](content, warnings)
    except LoadError as exc:
        raise ExtractError(str(exc)) from exc
    text = fields.get("text") or ""
    if not text.strip():
        raise ExtractError(f"no text found in the {suffix[1:].upper()} document")
    url = canonicalize(page_url)
    title = (normalize_text(str(fields.get("title") or "")) or normalize_text(getattr(fallback, "title", None) or "")
             or _name_in_url(url))
    date = getattr(fallback, "date", None) or parse_date(fields.get("date"))
    return Article(id=url, title=title, text=text, source=url, date=date, url=url,
                   author=getattr(fallback, "author", None), pages=tuple(fields.get("pages") or ()))


def _name_in_url(url: str) -> str:
    """A title from the file's name in the URL: ".../2024-harbour-report.pdf" -> "2024 harbour report"."""
    stem = PurePosixPath(unquote(urlsplit(url).path)).stem
    return " ".join(stem.replace("_", " ").replace("-", " ").split()) or url
