"""`POST /api/timeline`: a story's developments in date order, each cited (`Assistant.timeline`).

Like `/api/ask`: no password, counted by the per-address rate limit (`ui.app.Guard`), bodies up to
`ui.api.MAX_BODY_BYTES`, and errors as the app's JSON (`{"ok": false, "status", "error"}`: 400 for
an empty topic, one naming no story, a date that is not one or an empty period; 422 for a body of
the wrong shape).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from qa.answering.question import MAX_QUESTION_CHARS
from qa.api import Assistant
from qa.timeline import MAX_ENTRIES, TimelineJSON
from ui.api import MAX_BODY_BYTES

TIMELINE_PATH = "/api/timeline"


class TimelineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Blank and over-long topics are refused by the assistant (400, the same words as /api/ask).
    topic: str = Field(examples=["What has happened with the bus strike since Monday?"],
                       description="A story, or a question about one; a date phrase in it ('since Monday', "
                                   "'this week') sets the period unless since/until do. At most "
                                   "answer.max_question_chars characters.",
                       json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS})
    since: str | None = Field(None, description="Only articles published on or after YYYY-MM-DD.")
    until: str | None = Field(None, description="Only articles published on or before YYYY-MM-DD.")
    as_of: str | None = Field(None, description="The date 'since Monday', 'this week'... are read against, "
                                                "YYYY-MM-DD (default: today).")
    limit: int = Field(20, ge=1, le=MAX_ENTRIES, description="The most lines; the most relevant are kept.")


def build_timeline_router(assistant: Assistant) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"], max_body_size=MAX_BODY_BYTES)

    @router.post("/timeline", response_model=TimelineJSON)
    async def timeline(body: TimelineRequest) -> dict[str, Any]:
        """A story's developments, oldest first: one line per dated development, quoted from an
        article and cited, copies of one story collapsed; the same JSON as `qa timeline --json`."""
        found = await run_in_threadpool(assistant.timeline, body.topic, since=body.since, until=body.until,
                                        as_of=body.as_of, limit=body.limit)
        return found.to_dict()

    return router
