"""The JSON HTTP API: ask, health, articles. Errors are JSON bodies, never stack traces."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from qa.answering.question import MAX_QUESTION_CHARS
from qa.api import Assistant
from qa.models import AnswerJSON
from ui.engine import EngineState, engine_state


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # An empty or blank question, and one over the configured limit (answer.max_question_chars, at
    # most MAX_QUESTION_CHARS), are refused by `qa.answering.question.check_question` with a 400
    # and one message, the same here, in the chat, the CLI and MCP: the model does not check them
    # (pydantic would answer 422 in other words). The lengths are in the schema for the docs.
    question: str = Field(examples=["What did Macron announce about missiles?"],
                          description="The question in plain language: not blank, at most "
                                      "answer.max_question_chars characters (2000 by default).",
                          json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS})
    history: list[Message] | None = Field(None, max_length=100)
    since: str | None = Field(None, description="Only articles published on or after YYYY-MM-DD.")
    until: str | None = Field(None, description="Only articles published on or before YYYY-MM-DD.")
    as_of: str | None = Field(None, description="The date 'today', 'this week', 'recently'... are read "
                                                "against, YYYY-MM-DD (default: today).")


class Health(BaseModel):
    status: Literal["ok"]
    articles: int
    chunks: int
    model: str
    backend: str
    engine: EngineState = Field(description="The search engine and its state; while it cannot be reached this "
                                            "route answers 503 with the same `engine` (state: down).")


class ArticleOut(BaseModel):
    id: str
    title: str
    date: str | None
    source: str
    url: str | None
    chunks: int


MAX_BODY_BYTES = 256 * 1024


def build_router(assistant: Assistant) -> APIRouter:
    # The limit holds for bodies without a Content-Length too (chunked uploads): `ui.gate`
    # counts every body of the app as it is read and answers 413 past it; FastAPI's own
    # limit here is a second guard for these routes.
    router = APIRouter(prefix="/api", tags=["api"], max_body_size=MAX_BODY_BYTES)

    @router.post("/ask", response_model=AnswerJSON)
    async def ask(body: AskRequest) -> dict[str, Any]:
        """Answer a question from the articles: the same JSON as `qa ask --json`."""
        history = [m.model_dump() for m in body.history or []]
        answer = await run_in_threadpool(assistant.ask, body.question, history,
                                         since=body.since, until=body.until, as_of=body.as_of)
        return answer.to_dict()

    @router.post("/ask/stream", response_class=StreamingResponse, responses={200: {
        "content": {"application/x-ndjson": {}},
        "description": 'One JSON object per line: {"type": "draft", "text"} while a language model writes '
                       '(the text so far, not yet checked), then {"type": "answer", ...} with the /api/ask JSON.'}})
    async def ask_stream(body: AskRequest) -> StreamingResponse:
        """`/api/ask`, streamed as NDJSON: drafts as the model writes, then the checked answer."""
        history = [m.model_dump() for m in body.history or []]
        events = assistant.stream(body.question, history, since=body.since, until=body.until, as_of=body.as_of)
        first = await run_in_threadpool(next, events)  # a bad question fails here, as a 400

        def lines() -> Iterator[bytes]:
            for event in itertools.chain([first], events):
                payload = {"type": "draft", "text": event} if isinstance(event, str) else \
                    {"type": "answer", **event.to_dict()}
                yield (json.dumps(payload, ensure_ascii=False) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @router.get("/health", response_model=Health)
    async def health(request: Request) -> dict[str, Any]:
        """Liveness plus what is indexed, and the search engine's state (503 while it is down)."""
        stats = await run_in_threadpool(assistant.stats)
        return {"status": "ok", "articles": stats.articles, "chunks": stats.chunks, "model": stats.model,
                "backend": stats.backend, "engine": engine_state(assistant)}

    @router.get("/articles", response_model=list[ArticleOut])
    async def articles() -> list[dict[str, Any]]:
        """The indexed articles, newest first."""
        found = await run_in_threadpool(assistant.articles)
        return [a.public_dict() for a in found]

    return router
