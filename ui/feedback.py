"""Readers' feedback in the faces: thumbs up or down under every answer of the chat and the
widget, a note on what was wrong, and the administrator's views of it (the Articles tab's
"Reader feedback", `GET /api/feedback`). The records and their store: `qa.feedback`.

The chat keeps each answer it gave (`AnswerLog`: per browser session and message, the newest
`LOG_ENTRIES` in all), so that a thumbs click stores the answer as it was given: its text,
outcome and citations, the conversation before it and the as-of date, never what a client
sends back. Clicking the same thumb again takes the rating back (the record is deleted);
the other thumb changes it. After a thumbs down, a note box asks what was wrong.

Nothing about the reader is stored. Ratings and notes count per client address
(`FEEDBACK_PER_MINUTE`, with the questions' exemptions and trusted proxies), on top of the
server's rate limit on every chat event.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gradio as gr
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from qa.api import Assistant
from qa.feedback import MAX_NOTE_CHARS, Feedback, FeedbackError, FeedbackStore, bounded_history
from qa.models import Answer, CitationJSON
from ui.auth import AdminAuth
from ui.gate import ADMITTED
from ui.ratelimit import RateLimiter

FEEDBACK_PATH = "/api/feedback"
FEEDBACK_PER_MINUTE = 30  # ratings and notes per client address
LOG_ENTRIES = 5000  # answers kept for rating, all sessions together
ADMIN_ROWS = 50
COLUMNS = ["Time (UTC)", "Rating", "Question", "Outcome", "Note", "Where"]
THANKS_UP = "Thanks: your thumbs up is saved."
ASK_NOTE = "Thanks: your thumbs down is saved. You may say below what was wrong."
THANKS_NOTE = "Thanks: your note is saved."
TAKEN_BACK = "Your rating was taken back."
GONE = "This answer can no longer be rated (the server was restarted, or it is too old): ask again."


@dataclass
class Answered:
    """One answer as the chat gave it, kept until it is rated."""

    answer: Answer
    shown: str  # the message the chat showed (Markdown)
    history: tuple[dict[str, str], ...]
    as_of: str
    feedback_id: int | None = None


class AnswerLog:
    """The chat's answers by (session, message index), the newest `size` of them."""

    def __init__(self, size: int = LOG_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, int], Answered] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, session: str, index: int, entry: Answered) -> None:
        with self._lock:
            self._entries[(session, index)] = entry
            self._entries.move_to_end((session, index))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def find(self, session: str, index: int, shown: str | None = None) -> Answered | None:
        """The answer at `index` of the session's chat; with `shown` (the message the client
        rated), the session's answer that showed exactly that, if the index does not."""
        with self._lock:
            entry = self._entries.get((session, index))
            if entry is None or shown is None or entry.shown == shown:
                return entry
            same = [e for (s, _), e in self._entries.items() if s == session and e.shown == shown]
            return same[-1] if same else entry


_stores: dict[Path, FeedbackStore] = {}
_stores_lock = threading.Lock()


def feedback_store(assistant: Assistant) -> FeedbackStore:
    """The feedback store of the assistant's data directory (one object per directory and process)."""
    path = (assistant.settings.data.dir / "feedback.sqlite").resolve()
    with _stores_lock:
        if path not in _stores:
            _stores[path] = FeedbackStore(path, max_question_chars=assistant.settings.answer.max_question_chars)
        return _stores[path]


def _texts(content: Any) -> list[str]:  # noqa: ANN401
    """The text strings of a message's content as a client sends it (a string, a list of
    messages' contents, `{"type": "text", "text"}` blocks)."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, dict):
        return [v for k in ("text", "value", "content") for v in _texts(content.get(k))]
    if isinstance(content, (list, tuple)):
        return [t for part in content for t in _texts(part)]
    return []


def client_of(limiter: RateLimiter, request: gr.Request | None) -> str:
    peer = request.client.host if request is not None and request.client else None
    forwarded = request.headers.get("x-forwarded-for") if request is not None else None
    return limiter.client_address(peer, forwarded)


class ChatFeedback:
    """The feedback part of one chat face (`face`: "chat" or "widget")."""

    def __init__(self, store: FeedbackStore, *, face: str, limiter: RateLimiter | None = None,
                 answers: AnswerLog | None = None) -> None:
        self.store = store
        self.face = face
        self.limiter = limiter or RateLimiter(FEEDBACK_PER_MINUTE)
        self.answers = answers or AnswerLog()

    @classmethod
    def for_assistant(cls, assistant: Assistant, *, face: str) -> ChatFeedback:
        server = assistant.settings.server
        return cls(feedback_store(assistant), face=face,
                   limiter=RateLimiter(FEEDBACK_PER_MINUTE, exempt=server.rate_limit_exempt,
                                       trusted_proxies=server.trusted_proxies))

    # -- what the chat answered ---------------------------------------------------------------
    def remember(self, request: gr.Request | None, history: Sequence[dict[str, Any]], plain: list[dict[str, str]],
                 answer: Answer, shown: str) -> None:
        """Keep an answer for rating: it is message `len(history) + 1` of the session's chat
        (after the question), `plain` the conversation it was answered with."""
        session = getattr(request, "session_hash", None) if request is not None else None
        if not session:
            return
        as_of = dt.date.today().isoformat()  # the chat reads time words against today
        self.answers.remember(session, len(history) + 1,
                              Answered(answer, shown, bounded_history(plain), as_of))

    # -- the events ---------------------------------------------------------------------------
    def _admit(self, request: gr.Request | None) -> None:
        wait = self.limiter.retry_after(client_of(self.limiter, request))
        if wait is not None:
            raise gr.Error(f"Too much feedback from your address: try again in {wait} s.", print_exception=False)

    def rate(self, data: gr.LikeData, request: gr.Request) -> tuple[Any, Any, Any, Any]:
        """A thumbs click: store, change or take back the rating of the answer clicked.
        Returns (the rated record's id, the note box, its text, the status line)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) and data.index else data.index
        shown = next(iter(_texts(data.value)), None)
        entry = None
        if isinstance(index, int) and not isinstance(index, bool):
            entry = self.answers.find(getattr(request, "session_hash", None) or "", index, shown)
        if entry is None:
            raise gr.Error(GONE, print_exception=False)
        rating = {True: "up", False: "down"}.get(data.liked) if isinstance(data.liked, bool) else None
        self._admit(request)
        try:
            if rating is None:  # the same thumb clicked again: the rating is taken back
                if entry.feedback_id is not None:
                    self.store.delete(entry.feedback_id)
                entry.feedback_id = None
                return None, gr.update(visible=False), "", TAKEN_BACK
            if entry.feedback_id is None or not self.store.rate(entry.feedback_id, rating):
                record = self.store.add(Feedback.from_answer(entry.answer, rating, history=entry.history,
                                                             as_of=entry.as_of, face=self.face))
                entry.feedback_id = record.id
        except FeedbackError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if rating == "down":
            return entry.feedback_id, gr.update(visible=True), "", ASK_NOTE
        return entry.feedback_id, gr.update(visible=False), "", THANKS_UP

    def note(self, text: str, feedback_id: int | None, request: gr.Request) -> tuple[Any, Any, Any]:
        """The note of the last thumbs down. Returns (the note box, its text, the status line)."""
        if feedback_id is None:
            raise gr.Error("Rate an answer with a thumbs down first, then say what was wrong.", print_exception=False)
        text = (text or "").strip()
        if not text:
            raise gr.Error("Write what was wrong, or leave the box empty.", print_exception=False)
        if len(text) > MAX_NOTE_CHARS:
            raise gr.Error(f"The note is {len(text)} characters long; at most {MAX_NOTE_CHARS}.",
                           print_exception=False)
        self._admit(request)
        try:
            saved = self.store.set_note(int(feedback_id), text)
        except FeedbackError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if not saved:
            raise gr.Error("That rating was taken back; rate the answer again.", print_exception=False)
        return gr.update(visible=False), "", THANKS_NOTE

    def attach(self, chatbot: gr.Chatbot) -> None:
        """The thumbs on `chatbot`'s answers and, below it, the note box and a status line.
        Call inside the Blocks that renders the chat."""
        rated = gr.State(None)  # the id of this session's last rated record (server side)
        status = gr.Markdown("", elem_id="qa-feedback-status")
        with gr.Group(visible=False, elem_id="qa-feedback-note") as note_group:
            note = gr.Textbox(label="What was wrong? (optional)", max_length=MAX_NOTE_CHARS, lines=2,
                              placeholder="e.g. the answer is about another event; the date is wrong",
                              elem_id="qa-feedback-text")
            send = gr.Button("Send note", size="sm", elem_id="qa-feedback-send")
        chatbot.like(self.rate, None, [rated, note_group, note, status], api_visibility="private",
                     show_progress="hidden")
        send.click(self.note, [note, rated], [note_group, note, status], api_visibility="private",
                   show_progress="hidden")


# -- the administrator's views ---------------------------------------------------------------------
def admin_rows(store: FeedbackStore, limit: int = ADMIN_ROWS) -> list[list[str]]:
    """The latest feedback as table rows: time, rating, question, outcome, note, face."""
    return [[f.updated.replace("T", " ").removesuffix("+00:00"), "👍 up" if f.rating == "up" else "👎 down",
             f.question, f.outcome.replace("_", " "), f.note, f.face] for f in store.list(limit)]


def build_feedback_panel(store: FeedbackStore, check: Callable[..., None], secret: gr.Textbox) -> gr.Dataframe:
    """The Articles tab's "Reader feedback" (inside its Blocks): shown only after `check`
    (`ui.admin.Admin.check`) admits the password in `secret`."""
    gr.Markdown("### Reader feedback\nThe latest ratings of answers in the chat and the widget "
                "(`qa feedback export DIR` turns them into an evaluation set).")
    table = gr.Dataframe(headers=COLUMNS, value=[], interactive=False, wrap=True, elem_id="qa-feedback-table",
                         label="Latest feedback")
    show = gr.Button("Show feedback", size="sm", elem_id="qa-show-feedback")

    def rows(password: str, request: gr.Request) -> list[list[str]]:
        check(password, request)
        try:
            return admin_rows(store)
        except FeedbackError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    show.click(rows, [secret], table, api_name="feedback")
    return table


class FeedbackOut(BaseModel):
    id: int
    rating: Literal["up", "down"]
    question: str
    answer: str
    outcome: str
    citations: list[CitationJSON] = Field(description="As the answer gave them (`qa.models.CitationJSON`).")
    note: str
    as_of: str | None = Field(description="The date the question's time words were read against.")
    history: list[dict[str, str]] = Field(description="The conversation before the question.")
    mode: str
    face: str = Field(description="chat or widget")
    created: str
    updated: str


class FeedbackList(BaseModel):
    total: int = Field(description="Records stored (of the rating asked for).")
    feedback: list[FeedbackOut] = Field(description="The latest, newest first.")


def build_feedback_router(assistant: Assistant, auth: AdminAuth) -> APIRouter:
    """`GET /api/feedback`: the latest feedback, for an administrator (`Authorization: Bearer`,
    checked by `ui.gate` like every admin route)."""
    router = APIRouter(prefix="/api", tags=["feedback"])
    store = feedback_store(assistant)
    bearer = HTTPBearer(auto_error=False, description="The admin password (server.admin_password_env).")

    async def require_admin(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not auth.enabled:
            raise HTTPException(403, auth.disabled_message())
        if not request.scope.get(ADMITTED):
            raise HTTPException(401, "wrong or missing admin password: send it as `Authorization: Bearer PASSWORD`",
                                headers={"WWW-Authenticate": "Bearer"})

    @router.get("/feedback", response_model=FeedbackList, dependencies=[Depends(require_admin)])
    async def feedback(limit: int = Query(ADMIN_ROWS, ge=1, le=1000),
                       rating: Literal["up", "down"] | None = Query(None)) -> dict[str, Any]:
        """Readers' ratings of answers, newest first (admin only)."""
        def read() -> dict[str, Any]:
            return {"total": store.count(rating), "feedback": [f.to_dict() for f in store.list(limit, rating=rating)]}

        try:
            return await run_in_threadpool(read)
        except FeedbackError as exc:
            raise HTTPException(503, str(exc)) from exc

    return router


__all__ = ["FEEDBACK_PATH", "AnswerLog", "ChatFeedback", "admin_rows", "build_feedback_panel",
           "build_feedback_router", "feedback_store"]
