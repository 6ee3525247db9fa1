"""The search engine (the store) as the server's faces report it: a 503 JSON naming the engine's
address when it cannot be reached, a readable line in the page and the chat, and its state in
`/api/health`.

Nothing here keeps state: the store reconnects by itself on its next call, so a replica answers
again as soon as the engine is back, without a restart.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from index.errors import StoreUnavailableError
from qa.api import Assistant

# What a client is told to wait before trying again: an engine restart takes seconds, not minutes.
RETRY_AFTER_S = 5


class EngineState(BaseModel):
    """Where the chunks are searched, and whether that answered (`/api/health`)."""
    backend: str = Field(description="chroma or milvus (store.backend).")
    address: str = Field(description="The engine's address (a server URL), or the data folder of embedded Chroma.")
    state: Literal["up", "down"]


def engine_backend(assistant: Assistant) -> str:
    return str(getattr(assistant.settings.store, "backend", "chroma"))


def engine_address(assistant: Assistant, exc: StoreUnavailableError | None = None) -> str:
    """The engine's address: the one the error names when it carries one, else the configured one."""
    return str(getattr(exc, "address", None) or assistant.store_location())


def engine_state(assistant: Assistant, *, up: bool = True,
                 exc: StoreUnavailableError | None = None) -> dict[str, Any]:
    return EngineState(backend=engine_backend(assistant), address=engine_address(assistant, exc),
                       state="up" if up else "down").model_dump()


def unavailable_response(assistant: Assistant, exc: StoreUnavailableError) -> JSONResponse:
    """503 in the app's error shape, with the engine's address and state; never a stack trace."""
    engine = engine_state(assistant, up=False, exc=exc)
    message = str(exc)
    if engine["address"] not in message:  # the message should name it; make sure the body does
        message = f"the search engine at {engine['address']} cannot be reached: {message}"
    return JSONResponse({"ok": False, "status": 503, "error": message, "engine": engine}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_S)})


def unavailable_line(exc: StoreUnavailableError) -> str:
    """What the page and the chat say while the engine is away (Markdown)."""
    from ui.render import escape_md

    return f"⚠️ The articles cannot be searched right now: {escape_md(str(exc))} Try again in a moment."
