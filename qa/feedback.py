"""Readers' ratings of answers (thumbs up or down, and a note), kept to improve the answers.

`FeedbackStore` keeps them in SQLite, in `<data dir>/feedback.sqlite`: one connection per
operation, the database in WAL mode with a busy timeout, so several threads and several server
processes (`server.workers`) add to it at once. A record (`Feedback`) holds what was asked and
what was answered: the question (and the conversation before it, for a follow-up), the answer's
text, outcome and citations (article id, title, date, source and quote), the rating, the note,
the time and the as-of date the question was read against. Nothing about who asked: no address,
no session. Sizes are bounded: a question at most `answer.max_question_chars`, a note at most
`MAX_NOTE_CHARS`, the answer, its citations and the conversation cut to fixed limits, and at
most `MAX_RECORDS` records.

`qa.feedback_export.export_feedback` writes the rated questions as a natural question set that
`qa eval --dataset` reads (see `qa.evaluation.natural`), with the cited articles taken from the index:

- thumbs up on an answer (answered or uncertain): the question, with the quotes it was answered
  with as its golds;
- thumbs up on "not in the articles": a question the articles do not answer (`answers: []`);
- thumbs down: what the right answer is (which sentence, or that the articles do not say) is a
  person's call, so these go to `review.jsonl` beside the set, with the answer, the note and
  `"answers": null` to fill in; so do questions readers rated both ways, and those whose quote
  is no longer in the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from index.errors import QAError

FILE_NAME = "feedback.sqlite"
RATINGS = ("up", "down")
MAX_NOTE_CHARS = 2000
MAX_ANSWER_CHARS = 20_000
MAX_CITATIONS = 20
MAX_QUOTE_CHARS = 2000
MAX_FIELD_CHARS = 500  # an article's id, title, date or source
MAX_HISTORY_MESSAGES = 10
MAX_HISTORY_CHARS = 8000  # the conversation before the question, newest turns first
MAX_RECORDS = 100_000
BUSY_TIMEOUT_S = 30.0
# The files an export writes; an export folder holding anything else is refused.

Rating = Literal["up", "down"]


class FeedbackError(QAError):
    """Feedback refused: an unknown rating, a note or question over its limit, a full store."""


@dataclass(frozen=True)
class Cited:
    """One citation of a rated answer: which article, and the sentence quoted from it."""

    article_id: str
    title: str
    quote: str
    date: str | None = None
    source: str = ""
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cited:
        return cls(article_id=_cut(str(data.get("article_id") or ""), MAX_FIELD_CHARS),
                   title=_cut(str(data.get("title") or ""), MAX_FIELD_CHARS),
                   quote=_cut(str(data.get("quote") or ""), MAX_QUOTE_CHARS),
                   date=_cut(str(data["date"]), MAX_FIELD_CHARS) if data.get("date") else None,
                   source=_cut(str(data.get("source") or ""), MAX_FIELD_CHARS), n=int(data.get("n") or 0))


@dataclass(frozen=True)
class Feedback:
    """One reader's rating of one answer. `id`, `created` and `updated` are set by the store."""

    rating: Rating
    question: str
    answer: str
    outcome: str  # answered, uncertain or not_in_articles (the answer's outcome when rated)
    citations: tuple[Cited, ...] = ()
    note: str = ""
    as_of: str | None = None  # YYYY-MM-DD: the date "today", "this week"... were read against
    history: tuple[dict[str, str], ...] = ()  # the conversation before the question
    mode: str = "extractive"  # or llm
    face: str = "chat"  # chat or widget
    id: int | None = None
    created: str = ""  # ISO 8601, UTC
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [c.to_dict() for c in self.citations]
        data["history"] = [dict(m) for m in self.history]
        return data

    @classmethod
    def from_answer(cls, answer: Any, rating: Rating, *, history: Iterable[dict[str, str]] = (),  # noqa: ANN401
                    as_of: str | None = None, face: str = "chat", note: str = "") -> Feedback:
        """The record of a rating of `answer` (a `qa.models.Answer`), its citations made public
        (`Citation.to_dict`: no server path)."""
        cited = tuple(Cited.from_dict(c.to_dict()) for c in answer.citations[:MAX_CITATIONS])
        return cls(rating=rating, question=answer.question, answer=answer.text, outcome=answer.outcome,
                   citations=cited, note=note, as_of=as_of, history=tuple(history), mode=answer.mode, face=face)


def bounded_history(history: Iterable[dict[str, Any]]) -> tuple[dict[str, str], ...]:
    """The newest `{"role", "content"}` messages that fit `MAX_HISTORY_MESSAGES` and
    `MAX_HISTORY_CHARS` (each cut to the limit), oldest first."""
    kept: list[dict[str, str]] = []
    room = MAX_HISTORY_CHARS
    for message in reversed(list(history)):
        role, content = message.get("role"), message.get("content")
        if role not in ("user", "assistant") or not isinstance(content, str) or not content.strip():
            continue
        if len(kept) == MAX_HISTORY_MESSAGES or room <= 0:
            break
        content = content[:room]
        room -= len(content)
        kept.append({"role": role, "content": content})
    return tuple(reversed(kept))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    outcome TEXT NOT NULL,
    citations TEXT NOT NULL,
    history TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    as_of TEXT,
    mode TEXT NOT NULL DEFAULT 'extractive',
    face TEXT NOT NULL DEFAULT 'chat'
);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created);
"""
_COLUMNS = "id, created, updated, rating, question, answer, outcome, citations, history, note, as_of, mode, face"


class FeedbackStore:
    """Feedback records in one SQLite file (see the module). Every method opens its own
    connection, so one store may be shared by threads, and processes may open the same file."""

    def __init__(self, path: str | Path, *, max_question_chars: int = 2000, max_records: int = MAX_RECORDS,
                 busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.max_question_chars = max_question_chars
        self.max_records = max_records
        self.busy_timeout_s = busy_timeout_s
        self._ready = False

    @classmethod
    def in_data_dir(cls, data_dir: str | Path, **options: Any) -> FeedbackStore:  # noqa: ANN401
        """The store of a data directory: `<data dir>/feedback.sqlite`."""
        return cls(Path(data_dir) / FILE_NAME, **options)

    # -- connections -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction (committed on success); writers take the write lock
        at once (BEGIN IMMEDIATE), so two writers never deadlock upgrading read locks."""
        if write and not self._ready:
            self._create()
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise FeedbackError(f"feedback store {self.path}: {exc}") from exc
        finally:
            connection.close()

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")  # kept in the file: readers never wait for a writer
            connection.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise FeedbackError(f"feedback store {self.path}: {exc}") from exc
        finally:
            connection.close()
        self._ready = True

    def _exists(self) -> bool:
        return self._ready or self.path.exists()

    # -- writing ---------------------------------------------------------------------------
    def add(self, feedback: Feedback) -> Feedback:
        """Store a rating; returns it with its id and time.

        Raises:
            FeedbackError: An unknown rating, an empty question or one over the limit, a note
                over `MAX_NOTE_CHARS`, or the store holds `max_records` already.
        """
        record = self._checked(feedback)
        now = _now()
        with self._connect(write=True) as db:
            (count,) = db.execute("SELECT COUNT(*) FROM feedback").fetchone()
            if count >= self.max_records:
                raise FeedbackError(f"the feedback store is full ({self.max_records} records): export it with "
                                    f"`qa feedback export DIR`, then move {self.path} aside")
            cursor = db.execute(
                f"INSERT INTO feedback ({_COLUMNS.removeprefix('id, ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, now, record.rating, record.question, record.answer, record.outcome,
                 json.dumps([c.to_dict() for c in record.citations], ensure_ascii=False),
                 json.dumps(list(record.history), ensure_ascii=False), record.note, record.as_of,
                 record.mode, record.face))
            new_id = cursor.lastrowid
        return replace(record, id=new_id, created=now, updated=now)

    def rate(self, feedback_id: int, rating: Rating) -> bool:
        """Change a record's rating (a reader changed their mind); False when it is gone."""
        if rating not in RATINGS:
            raise FeedbackError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        return self._update(feedback_id, "rating", rating)

    def set_note(self, feedback_id: int, note: str) -> bool:
        """Set a record's note ("what was wrong"); False when it is gone."""
        return self._update(feedback_id, "note", self._checked_note(note))

    def _update(self, feedback_id: int, column: str, value: str) -> bool:
        with self._connect(write=True) as db:
            changed = db.execute(f"UPDATE feedback SET {column} = ?, updated = ? WHERE id = ?",  # noqa: S608
                                 (value, _now(), int(feedback_id))).rowcount
        return changed == 1

    def delete(self, feedback_id: int) -> bool:
        """Remove a record (a reader took their rating back); False when it was gone."""
        if not self._exists():
            return False
        with self._connect(write=True) as db:
            deleted = db.execute("DELETE FROM feedback WHERE id = ?", (int(feedback_id),)).rowcount
        return deleted == 1

    def _checked(self, feedback: Feedback) -> Feedback:
        if feedback.rating not in RATINGS:
            raise FeedbackError(f"rating must be one of {', '.join(RATINGS)}, not {feedback.rating!r}")
        question = feedback.question.strip()
        if not question:
            raise FeedbackError("feedback needs the question that was asked")
        if len(question) > self.max_question_chars:
            raise FeedbackError(f"the question is {len(question)} characters long; the limit is "
                                f"{self.max_question_chars} (answer.max_question_chars)")
        return replace(feedback, question=question, answer=_cut(feedback.answer, MAX_ANSWER_CHARS),
                       outcome=_cut(feedback.outcome, 40), note=self._checked_note(feedback.note),
                       citations=tuple(Cited.from_dict(c.to_dict()) for c in feedback.citations[:MAX_CITATIONS]),
                       history=bounded_history(feedback.history),
                       as_of=_cut(feedback.as_of, 40) if feedback.as_of else None,
                       mode=_cut(feedback.mode, 40), face=_cut(feedback.face, 40))

    @staticmethod
    def _checked_note(note: str) -> str:
        note = (note or "").strip()
        if len(note) > MAX_NOTE_CHARS:
            raise FeedbackError(f"the note is {len(note)} characters long; the limit is {MAX_NOTE_CHARS}")
        return note

    # -- reading ---------------------------------------------------------------------------
    def get(self, feedback_id: int) -> Feedback | None:
        if not self._exists():
            return None
        with self._connect(write=False) as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM feedback WHERE id = ?", (int(feedback_id),)).fetchone()
        return _record(row) if row else None

    def list(self, limit: int | None = 50, *, rating: Rating | None = None, oldest_first: bool = False
             ) -> list[Feedback]:
        """The latest records (newest first), or all of them with `limit=None`."""
        if rating is not None and rating not in RATINGS:
            raise FeedbackError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        if not self._exists():
            return []
        where, params = ("WHERE rating = ?", [rating]) if rating else ("", [])
        order = "ASC" if oldest_first else "DESC"
        sql = f"SELECT {_COLUMNS} FROM feedback {where} ORDER BY id {order}"  # noqa: S608
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with self._connect(write=False) as db:
            rows = db.execute(sql, params).fetchall()
        return [_record(row) for row in rows]

    def count(self, rating: Rating | None = None) -> int:
        if not self._exists():
            return 0
        with self._connect(write=False) as db:
            if rating:
                return db.execute("SELECT COUNT(*) FROM feedback WHERE rating = ?", (rating,)).fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]

    # -- export as a natural question set ----------------------------------------------------

def _record(row: tuple) -> Feedback:
    (id_, created, updated, rating, question, answer, outcome, citations, history, note, as_of, mode, face) = row
    return Feedback(id=id_, created=created, updated=updated, rating=rating, question=question, answer=answer,
                    outcome=outcome, citations=tuple(Cited.from_dict(c) for c in json.loads(citations)),
                    history=tuple(json.loads(history)), note=note, as_of=as_of, mode=mode, face=face)
