"""The indexed articles as the Articles tab shows them: the public table and the admin's choice
of an article to delete (used by the upload/delete and the web sources parts alike)."""

from __future__ import annotations

from typing import Any

from index.models import public_source
from qa.api import Assistant

COLUMNS = ["Title", "Date", "Source", "Chunks", "Id"]


def article_rows(assistant: Assistant) -> list[list[Any]]:
    return [[a.title, a.date or "", a.url or public_source(a.source), a.chunks, a.id] for a in assistant.articles()]


def article_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """The "article to delete" dropdown's (label, id) pairs."""
    return [(f"{a.title} ({a.id})", a.id) for a in assistant.articles()]
