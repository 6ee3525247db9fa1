"""One server: the JSON API under /api and the Gradio chat at /."""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import ArticleNotFoundError, QAError
from qa.api import Assistant
from ui.api import build_router
from ui.chat import build_chat

MAX_BODY_BYTES = 256 * 1024


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "error": message, **extra}, status_code=status)


def create_app(assistant: Assistant) -> FastAPI:
    """Build the ASGI app; the assistant (and its one model) is shared by every request."""
    app = FastAPI(title="News QA", version="0.1.0",
                  description="Grounded, cited answers from your news articles.")

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if request.url.path.startswith("/api/") and length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _error(413, f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "problem": e["msg"]}
                   for e in exc.errors()]
        summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
        return _error(422, f"invalid request: {summary}", details=details)

    @app.exception_handler(ArticleNotFoundError)
    async def not_found(request: Request, exc: ArticleNotFoundError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(QAError)
    async def bad_request(request: Request, exc: QAError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    app.include_router(build_router(assistant))
    return gr.mount_gradio_app(app, build_chat(assistant), path="/", footer_links=["api"])
