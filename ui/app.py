"""One server: the JSON API under /api, the widget at /embed and the chat at /."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import ArticleNotFoundError, QAError
from qa.api import Assistant
from qa.background import BackgroundRefresh
from qa.config import ServerSettings, load_settings
from ui.admin import build_articles_tab
from ui.api import MAX_BODY_BYTES, build_router
from ui.auth import AdminAuth
from ui.chat import build_chat, status_line
from ui.mcp import build_mcp
from ui.ratelimit import RateLimiter
from ui.web_api import build_web_router

EMBED_PATH = "/embed"
MCP_PATH = "/mcp"
# POSTs (and DELETEs) that cost work beside asking: fetching the web, embedding.
WEB_ADMIN_PATHS = ("/api/sources", "/api/sources/refresh", "/api/articles/url")


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "error": message, **extra}, status_code=status,
                        headers=headers)


def _costs_work(path: str) -> bool:
    """Whether a POST to `path` costs work: a question (the JSON API, MCP, the chat and widget) or a
    web administration request (fetching and indexing)."""
    return (path in ("/api/ask", "/api/ask/stream", MCP_PATH, *WEB_ADMIN_PATHS)
            or path.endswith("/gradio_api/queue/join")
            or "/gradio_api/call/" in path or "/gradio_api/run/" in path)


def _problem(error: dict[str, Any]) -> dict[str, str]:
    """One validation error as {field, problem}, in words a client can act on."""
    field = ".".join(str(p) for p in error["loc"][1:] if not isinstance(p, int) or error["type"] != "json_invalid")
    if error["type"] == "json_invalid":
        return {"field": "body", "problem": f"not valid JSON ({error.get('ctx', {}).get('error', 'decode error')})"}
    if error["type"] == "model_attributes_type" and not field:
        return {"field": "body", "problem": "must be a JSON object"}
    return {"field": field or "body", "problem": error["msg"]}


def frame_ancestors(origins: list[str]) -> str:
    return "frame-ancestors " + ("*" if "*" in origins else " ".join(["'self'", *origins]))


def build_main_page(assistant: Assistant, server: ServerSettings, auth: AdminAuth | None = None) -> gr.Blocks:
    """The full page: the chat, and the Articles tab (with administration when enabled)."""
    if auth is None:
        auth = AdminAuth(os.environ.get(server.admin_password_env) or None, env=server.admin_password_env)
    with gr.Blocks(title="News QA", analytics_enabled=False, fill_height=True) as page:
        status = gr.Markdown(status_line(assistant), elem_id="qa-status")
        with gr.Tab("Chat", elem_id="qa-chat-tab"):
            build_chat(assistant, concurrency=server.concurrency)
        with gr.Tab("Articles", elem_id="qa-articles-tab"):
            articles = build_articles_tab(
                assistant, password=auth, password_env=server.admin_password_env,
                uploads=assistant.settings.data.dir / "uploads", max_upload_mb=server.max_upload_mb,
                upload_types=server.upload_types)
        page.load(lambda: (status_line(assistant), *articles.values()), None, [status, *articles.components],
                  api_visibility="private")
    return page


def build_widget(assistant: Assistant, server: ServerSettings) -> gr.Blocks:
    """The embeddable widget: the same chat, compact, with no administration and no secrets."""
    with gr.Blocks(title="Ask the articles", analytics_enabled=False, fill_height=True) as widget:
        build_chat(assistant, compact=True, concurrency=server.concurrency)
    return widget


def create_app(assistant: Assistant) -> FastAPI:
    """Build the ASGI app; the assistant (and its one model) is shared by every request.

    With `web.background_refresh`, the app's lifespan runs `qa.background.BackgroundRefresh`
    (started with the server, stopped at its shutdown)."""
    server = assistant.settings.server
    auth = AdminAuth(os.environ.get(server.admin_password_env) or None, env=server.admin_password_env)
    web = assistant.web  # created once, here: its creation is not thread-safe
    refresher = BackgroundRefresh(web, check_s=assistant.settings.web.refresh_check_s) \
        if assistant.settings.web.background_refresh else None
    mcp = build_mcp(assistant) if server.mcp else None
    # The SDK's app is one route (no middleware); added to this app's routes it answers at
    # /mcp exactly, where a mount would redirect /mcp to /mcp/ and MCP clients do not follow.
    mcp_app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, host=server.host) if mcp else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if refresher is not None:
            refresher.start()
        try:
            if mcp is None:
                yield
            else:
                async with mcp.session_manager.run():  # the MCP sessions live as long as the server
                    yield
        finally:
            if refresher is not None:  # finishes the source being refreshed, off the event loop
                await asyncio.to_thread(refresher.stop)

    app = FastAPI(title="News QA", version="0.1.0", lifespan=lifespan,
                  description="Grounded, cited answers from your news articles.")
    app.add_middleware(CORSMiddleware, allow_origins=server.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    embed_policy = frame_ancestors(server.embed_origins)

    limiter = RateLimiter(server.rate_limit, exempt=server.rate_limit_exempt, trusted_proxies=server.trusted_proxies)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        if request.method in ("POST", "DELETE") and _costs_work(request.url.path):
            client = limiter.client_address(request.client.host if request.client else None,
                                            request.headers.get("x-forwarded-for"))
            wait = limiter.retry_after(client)
            if wait is not None:
                what = "requests" if request.url.path in WEB_ADMIN_PATHS else "questions"
                return _error(429, f"too many {what} from {client}: at most {server.rate_limit} a minute; "
                                   f"try again in {wait} s", {"Retry-After": str(wait)})
        length = request.headers.get("content-length")
        if request.url.path.startswith("/api/") and length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _error(413, f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}")
        response = await call_next(request)
        # Only the widget may be framed by other sites; everything else only by this one.
        is_widget = request.url.path == EMBED_PATH or request.url.path.startswith(EMBED_PATH + "/")
        response.headers["Content-Security-Policy"] = embed_policy if is_widget else "frame-ancestors 'self'"
        if not is_widget:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_problem(e) for e in exc.errors()]
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
        if exc.status_code == 413:
            return _error(413, f"request body is over the limit of {MAX_BODY_BYTES} bytes")
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    api = build_router(assistant)
    app.include_router(api)
    web_api = build_web_router(assistant, auth)
    app.include_router(web_api)
    api_methods: dict[str, set[str]] = {}
    for route in [*api.routes, *web_api.routes]:
        api_methods.setdefault(route.path, set()).update(route.methods)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
                   include_in_schema=False)
    async def unknown_api_route(request: Request, rest: str) -> JSONResponse:
        """Any other /api path: the project's JSON error, not the chat page's 404."""
        path = request.url.path.rstrip("/") or "/"
        allowed = api_methods.get(path)
        if allowed:
            methods = ", ".join(sorted(allowed))
            return _error(405, f"{request.method} is not allowed on {path}; use {methods}", {"Allow": methods},
                          allowed=sorted(allowed))
        known = ", ".join(sorted(api_methods))
        return _error(404, f"no API route {path}; the routes are {known} (see /docs)")

    if mcp_app is not None:
        app.router.routes.extend(mcp_app.routes)
    max_file = f"{server.max_upload_mb}mb"
    # The widget is mounted first: the page at "/" would otherwise catch /embed too.
    app = gr.mount_gradio_app(app, build_widget(assistant, server), path=EMBED_PATH, footer_links=[],
                              max_file_size=max_file)
    return gr.mount_gradio_app(app, build_main_page(assistant, server, auth), path="/", footer_links=["api"],
                               max_file_size=max_file)


def app_from_environment() -> FastAPI:
    """Factory for several worker processes (`qa serve` with server.workers > 1): each worker
    reads the same config (QA_CONFIG and QA_ overrides) and loads the model once."""
    return create_app(Assistant(load_settings()))
