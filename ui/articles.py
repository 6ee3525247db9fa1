"""The indexed articles as the Articles tab shows them: the public table and the admin's choice
of an article to delete (used by the upload/delete and the web sources parts alike)."""

from __future__ import annotations

from typing import Any

from index.models import public_source
from qa.api import Assistant

COLUMNS = ["Title", "Date", "Source", "Chunks", "Id"]
# Widths that keep each header on one line ("Chunks" wrapped letter by letter when the table
# shared the width out by content) and leave the long ids room; a narrow screen scrolls the
# table, not the page.
COLUMN_WIDTHS = ["260px", "110px", "260px", "84px", "300px"]
EMPTY = "_None yet: add articles with `qa ingest PATH` (or, as an administrator, upload them below)._"


def article_rows(assistant: Assistant) -> list[list[Any]]:
    return [[a.title, a.date or "", a.url or public_source(a.source), a.chunks, a.id] for a in assistant.articles()]


def article_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """The "article to delete" dropdown's (label, id) pairs."""
    return [(f"{a.title} ({a.id})", a.id) for a in assistant.articles()]
