"""What web sources looked like last time: `web.sqlite` in the data directory.

Per source (a feed or sitemap URL, or a local feed file): its kind, title, refresh interval,
the ETag / Last-Modified of its last 200 answer, when it was last refreshed and how that went
(counts and errors). Per entry (source, key): the URL of the page it was read from
(canonicalized), the guid, the fingerprint of what was seen (the entry's dates and content
hash, or the sitemap's lastmod), the article id it was stored under (another URL when the page
was deduplicated against the article at its canonical URL), and the page's own ETag /
Last-Modified. Single URLs ingested directly
are entries of the source "".

Per article id: where its stored text came from (`articles`): a page fetched from its own site,
or a feed's own text, and which source stored it. `index.loading.web.refresh` asks it before storing a
feed's text under an id the feed's host does not own (`held_elsewhere`); see its docstring.

SQLite in WAL mode with a busy timeout: safe across threads and processes (a `qa refresh` from
cron beside a server refreshing in the background). Each call opens its own short connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.loading.web.reports import SourceReport, SourceState

STATE_FILE = "web.sqlite"
DIRECT = ""  # the source of URLs ingested one by one
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    interval_minutes INTEGER, configured INTEGER NOT NULL DEFAULT 0, allow_private INTEGER NOT NULL DEFAULT 0,
    added_at TEXT, etag TEXT, last_modified TEXT, last_refresh TEXT, last_status TEXT, last_error TEXT DEFAULT '',
    new INTEGER DEFAULT 0, updated INTEGER DEFAULT 0, unchanged INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,
    errors TEXT DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS entries (
    source TEXT NOT NULL, key TEXT NOT NULL, url TEXT, guid TEXT, fingerprint TEXT NOT NULL DEFAULT '',
    article_id TEXT, etag TEXT, last_modified TEXT, checked_at TEXT,
    PRIMARY KEY (source, key)
);
CREATE INDEX IF NOT EXISTS entries_article ON entries (article_id);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, source TEXT NOT NULL, from_page INTEGER NOT NULL, stored_at TEXT
);
"""
# Entries whose page was stored under another URL's article (deduplicated against it).
_DEDUPLICATED = "SUM(url IS NOT NULL AND article_id IS NOT NULL AND url != article_id)"


@dataclass(frozen=True)
class EntryState:
    """One entry (or URL) as stored after it was last indexed."""

    source: str
    key: str
    url: str | None
    guid: str | None = None
    fingerprint: str = ""  # "" means: look again next time (a fallback, or never indexed)
    article_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked_at: str | None = None


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class WebState:
    """The web sources' state in `<data dir>/web.sqlite`."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / STATE_FILE
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- sources -------------------------------------------------------------------------
    def upsert_source(self, url: str, kind: str, *, title: str | None = None, interval_minutes: int | None = None,
                      configured: bool | None = None, allow_private: bool | None = None) -> SourceState:
        """Add a source, or update the given fields of a known one; return its state."""
        with self._transaction() as db:
            row = db.execute("SELECT url FROM sources WHERE url = ?", (url,)).fetchone()
            if row is None:
                db.execute("INSERT INTO sources (url, kind, title, interval_minutes, configured, allow_private, "
                           "added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (url, kind, title or "", interval_minutes, int(bool(configured)),
                            int(bool(allow_private)), now_iso()))
            else:
                db.execute("UPDATE sources SET kind = ? WHERE url = ?", (kind, url))
                for column, value in (("title", title), ("interval_minutes", interval_minutes),
                                      ("configured", None if configured is None else int(configured)),
                                      ("allow_private", None if allow_private is None else int(allow_private))):
                    if value is not None:
                        db.execute(f"UPDATE sources SET {column} = ? WHERE url = ?", (value, url))  # noqa: S608
        state = self.source(url)
        assert state is not None
        return state

    def source(self, url: str) -> SourceState | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sources WHERE url = ?", (url,)).fetchone()
            if row is None:
                return None
            entries, deduplicated = db.execute(f"SELECT COUNT(*), {_DEDUPLICATED} FROM entries WHERE source = ?",
                                               (url,)).fetchone()
        return _source_state(row, (entries, deduplicated or 0))

    def sources(self) -> list[SourceState]:
        """Every known source, in the order they were added."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM sources ORDER BY added_at, url").fetchall()
            counts = {r[0]: (r[1], r[2] or 0) for r in db.execute(
                f"SELECT source, COUNT(*), {_DEDUPLICATED} FROM entries GROUP BY source").fetchall()}
        return [_source_state(row, counts.get(row["url"], (0, 0))) for row in rows]

    def remove_source(self, url: str) -> list[str]:
        """Forget a source and its entries; return the article ids that only its entries held
        (not those whose stored text another source put there). The feed texts it stored no
        longer hold their ids; a page's text fetched from its own site still does."""
        with self._transaction() as db:
            ids = [r[0] for r in db.execute(
                "SELECT DISTINCT article_id FROM entries WHERE source = ? AND article_id IS NOT NULL "
                "AND article_id NOT IN (SELECT article_id FROM entries WHERE source != ? AND article_id IS NOT NULL) "
                "AND article_id NOT IN (SELECT article_id FROM articles WHERE source != ?)",
                (url, url, url))]
            db.execute("DELETE FROM entries WHERE source = ?", (url,))
            db.execute("DELETE FROM articles WHERE source = ? AND from_page = 0", (url,))
            db.execute("DELETE FROM sources WHERE url = ?", (url,))
        return ids

    def record_refresh(self, url: str, report: SourceReport, *, etag: str | None = None,
                       last_modified: str | None = None, keep_validators: bool = False) -> None:
        """Store how a refresh went; the validators of a 200 answer replace the old ones."""
        with self._transaction() as db:
            db.execute(
                "UPDATE sources SET last_refresh = ?, last_status = ?, last_error = ?, new = ?, updated = ?, "
                "unchanged = ?, failed = ?, errors = ?, title = CASE WHEN ? != '' THEN ? ELSE title END "
                "WHERE url = ?",
                (report.started_at or now_iso(), report.status, report.error, report.count("indexed"),
                 report.count("updated"), report.count("unchanged"), report.count("failed"),
                 json.dumps(report.errors()[:20]), report.title, report.title, url))
            if not keep_validators:
                db.execute("UPDATE sources SET etag = ?, last_modified = ? WHERE url = ?",
                           (etag, last_modified, url))

    # -- entries -------------------------------------------------------------------------
    def entries(self, source: str, keys: Iterable[str] | None = None) -> dict[str, EntryState]:
        """The stored entries of `source` (only `keys`, when given), by key."""
        with self._connect() as db:
            if keys is None:
                rows = db.execute("SELECT * FROM entries WHERE source = ?", (source,)).fetchall()
            else:
                rows = []
                keys = list(keys)
                for start in range(0, len(keys), 500):
                    page = keys[start:start + 500]
                    rows += db.execute(f"SELECT * FROM entries WHERE source = ? AND key IN "  # noqa: S608
                                       f"({','.join('?' * len(page))})", (source, *page)).fetchall()
        return {row["key"]: EntryState(**dict(row)) for row in rows}

    def save_entries(self, entries: Iterable[EntryState]) -> None:
        rows = [(e.source, e.key, e.url, e.guid, e.fingerprint, e.article_id, e.etag, e.last_modified,
                 e.checked_at or now_iso()) for e in entries]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO entries (source, key, url, guid, fingerprint, article_id, etag, "
                           "last_modified, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


    # -- articles ------------------------------------------------------------------------
    def record_articles(self, stored: Iterable[tuple[str, str, bool]]) -> None:
        """Remember where each stored article's text came from: (article id, the source that
        stored it, whether it was fetched from the article's own site rather than a feed's text)."""
        rows = [(article_id, source, int(from_page), now_iso()) for article_id, source, from_page in stored]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO articles (article_id, source, from_page, stored_at) "
                           "VALUES (?, ?, ?, ?)", rows)

    def held_elsewhere(self, article_id: str, source: str) -> str | None:
        """Why `source` may not store a feed's text under `article_id` on another host's behalf:
        its text was fetched from its own site, or another source holds it; None when no one but
        `source` does. Ids stored before this was recorded are judged by the other sources' entries."""
        with self._connect() as db:
            row = db.execute("SELECT source, from_page FROM articles WHERE article_id = ?", (article_id,)).fetchone()
            if row is not None:
                if row["from_page"]:
                    return "its text was fetched from its own site"
                return None if row["source"] == source else f"it holds the text of the feed {row['source']}"
            other = db.execute("SELECT source FROM entries WHERE article_id = ? AND source != ? LIMIT 1",
                               (article_id, source)).fetchone()
        if other is None:
            return None
        return f"the source {other[0]} holds it" if other[0] else "it was ingested as a single URL"


def _source_state(row: sqlite3.Row, counts: tuple[int, int]) -> SourceState:
    entries, deduplicated = counts
    return SourceState(url=row["url"], kind=row["kind"], title=row["title"] or "",
                       interval_minutes=row["interval_minutes"], configured=bool(row["configured"]),
                       allow_private=bool(row["allow_private"]), added_at=row["added_at"],
                       last_refresh=row["last_refresh"], last_status=row["last_status"],
                       last_error=row["last_error"] or "", new=row["new"] or 0, updated=row["updated"] or 0,
                       unchanged=row["unchanged"] or 0, failed=row["failed"] or 0,
                       errors=json.loads(row["errors"] or "[]"), entries=entries, deduplicated=deduplicated,
                       etag=row["etag"], last_modified=row["last_modified"])
