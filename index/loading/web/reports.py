"""The typed results of web ingestion, serialized one way (`to_dict()`), for the CLI, the JSON
API and the Articles tab.

    ItemReport     one URL or feed entry: indexed | updated | unchanged | skipped | failed, + reason
    SourceReport   one feed, sitemap, or list of URLs: its status, its items, the counts
    RefreshReport  several sources refreshed at once
    SourceState    what is known about a source between refreshes (`index.loading.web.state`)

Statuses mirror `index.models.FileReport`'s, so web items and files read the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("indexed", "updated", "unchanged", "skipped", "failed")


@dataclass
class ItemReport:
    """The outcome of one URL or feed entry."""

    url: str  # the page (or, for an entry without a link, the entry's key)
    status: str  # indexed | updated | unchanged | skipped | failed
    reason: str = ""
    article_id: str | None = None
    title: str = ""
    date: str | None = None
    chunks_added: int = 0
    chunks_deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    # The article this page was deduplicated against (stored, or skipped, under that article's
    # canonical URL rather than its own); None when it is its own article.
    duplicate_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceReport:
    """The outcome of ingesting or refreshing one source.

    `status`: `ok` (the document was read; see the items), `not_modified` (answered 304, or
    unchanged: nothing parsed, fetched or embedded), or `failed` (`error` says why; nothing of
    it was indexed this time).
    """

    source: str  # feed or sitemap URL (or path); "" for a list of URLs
    kind: str  # feed | sitemap | urls
    status: str = "ok"
    error: str = ""
    title: str = ""
    items: list[ItemReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    started_at: str = ""  # ISO 8601, UTC
    seconds: float = 0.0
    requests: int = 0  # HTTP requests sent (robots.txt included)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def failed(self) -> bool:
        return self.status == "failed" or any(item.status == "failed" for item in self.items)

    @property
    def chunks_added(self) -> int:
        return sum(item.chunks_added for item in self.items)

    @property
    def chunks_deleted(self) -> int:
        return sum(item.chunks_deleted for item in self.items)

    def summary(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUSES}

    def errors(self) -> list[str]:
        """One line per problem: the source's own error, then each failed item's."""
        lines = [self.error] if self.error else []
        return lines + [f"{item.url}: {item.reason}" for item in self.items if item.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "status": self.status, "error": self.error,
                "title": self.title, "items": [item.to_dict() for item in self.items],
                "warnings": list(self.warnings), "summary": self.summary(), "chunks_added": self.chunks_added,
                "chunks_deleted": self.chunks_deleted, "started_at": self.started_at,
                "seconds": round(self.seconds, 3), "requests": self.requests}


@dataclass
class RefreshReport:
    """Several sources refreshed together (`qa refresh`, the server's background refresh)."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(source.failed for source in self.sources)

    def count(self, status: str) -> int:
        return sum(source.count(status) for source in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {"sources": [source.to_dict() for source in self.sources],
                "summary": {status: self.count(status) for status in STATUSES},
                "failed_sources": sum(1 for source in self.sources if source.status == "failed"),
                "chunks_added": sum(source.chunks_added for source in self.sources),
                "chunks_deleted": sum(source.chunks_deleted for source in self.sources)}


@dataclass
class SourceState:
    """A feed or sitemap as known between refreshes."""

    url: str
    kind: str  # feed | sitemap
    title: str = ""
    interval_minutes: int | None = None  # None: the configured default
    configured: bool = False  # listed in config.yaml (web.feeds), not only added
    allow_private: bool = False  # added by the owner for an intranet address
    added_at: str | None = None
    last_refresh: str | None = None  # ISO 8601, UTC
    next_due: str | None = None
    last_status: str | None = None  # ok | not_modified | failed
    last_error: str = ""
    new: int = 0  # of the last refresh: indexed, updated, unchanged, failed items
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # of the last refresh (the first 20)
    entries: int = 0  # entries known
    deduplicated: int = 0  # of them, pages stored under another URL's article (their canonical URL)
    etag: str | None = None
    last_modified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
