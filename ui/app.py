"""One server: the JSON API under /api, the widget at /embed/ (and its launcher, /widget.js) and
the chat at /."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.errors import ArticleNotFoundError, QAError, StoreUnavailableError
from qa.api import Assistant
from qa.background import BackgroundRefresh
from qa.config import ServerSettings, load_settings
from ui.admin import build_articles_tab
from ui.api import MAX_BODY_BYTES, build_router
from ui.auth import AdminAuth
from ui.chat import build_chat, example_questions, page_values, status_line
from ui.engine import unavailable_response
from ui.feedback import FEEDBACK_PATH, build_feedback_router
from ui.gate import RequestGate
from ui.mcp import build_mcp
from ui.ratelimit import RateLimiter
from ui.timeline_api import TIMELINE_PATH, build_timeline_router
from ui.timeline_tab import build_timeline_tab
from ui.web_api import build_web_router
from ui.widget import WidgetOptions

EMBED_PATH = "/embed"
WIDGET_SCRIPT = "/widget.js"  # the launcher a page includes with one <script> tag
STATIC = Path(__file__).parent / "static"
TITLE = "Ask the articles"
MCP_PATH = "/mcp"
DOCS_ASSETS = "/docs-assets"  # Swagger UI's and ReDoc's scripts and styles (fastapi-offline's copies)
# The API documentation pages may load nothing from elsewhere: ReDoc shows its maker's logo from a
# CDN in every page (an <img> no option removes); the browser does not even ask for it.
DOCS_PAGES = ("/docs", "/redoc")
DOCS_POLICY = ("frame-ancestors 'self'; default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
               "worker-src 'self' blob:; connect-src 'self'")
# POSTs (and DELETEs) that cost work beside asking: fetching the web, embedding; admin only.
WEB_ADMIN_PATHS = ("/api/sources", "/api/sources/refresh", "/api/articles/url")
# Gradio's file uploads (the page's and the widget's): bodies up to server.max_upload_mb.
UPLOAD_PATHS = ("/gradio_api/upload", EMBED_PATH + "/gradio_api/upload")
MULTIPART_FRAMING = 256 * 1024  # an upload's bytes beside the files: part headers, boundaries
# A chat event's body holds the whole conversation so far (answers with their source cards, a few
# KB each): room for some hundreds of exchanges, and still a bound.
GRADIO_EVENT_BYTES = 2 * 1024 * 1024


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "error": message, **extra}, status_code=status,
                        headers=headers)


def _costs_work(path: str) -> bool:
    """Whether a POST to `path` costs work: a question (the JSON API, MCP, the chat and widget) or a
    web administration request (fetching and indexing)."""
    return (path in ("/api/ask", "/api/ask/stream", TIMELINE_PATH, MCP_PATH, *WEB_ADMIN_PATHS)
            or path.endswith("/gradio_api/queue/join")
            or "/gradio_api/call/" in path or "/gradio_api/run/" in path)


class Guard:
    """The outermost middleware: the rate limit on what costs work (429 with Retry-After), and the
    framing headers on every answer. Pure ASGI, like `ui.gate`: nothing buffered, no task per
    request (a flood of requests must leave the event loop free for the others)."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, embed_policy: str) -> None:
        self.app, self.limiter, self.embed_policy = app, limiter, embed_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        # Only the widget may be framed by other sites; everything else only by this one.
        is_widget = path == EMBED_PATH or path.startswith(EMBED_PATH + "/")

        async def framed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.embed_policy if is_widget else \
                    DOCS_POLICY if path in DOCS_PAGES else "frame-ancestors 'self'"
                if not is_widget:
                    headers["X-Frame-Options"] = "SAMEORIGIN"
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        if scope["method"] in ("POST", "DELETE") and _costs_work(path):
            peer = scope.get("client")
            client = self.limiter.client_address(peer[0] if peer else None,
                                                 Headers(scope=scope).get("x-forwarded-for"))
            wait = self.limiter.retry_after(client)
            if wait is not None:
                what = "requests" if path in WEB_ADMIN_PATHS else "questions"
                await _error(429, f"too many {what} from {client}: at most {self.limiter.limit} a minute; "
                                  f"try again in {wait} s", {"Retry-After": str(wait)})(scope, receive, framed)
                return
        await self.app(scope, receive, framed)


def body_limits(max_upload: int) -> Callable[[str], int]:
    """The body limit of each path: uploads, Gradio's events, and 256 KB for everything else."""
    def limit(path: str) -> int:
        if path in UPLOAD_PATHS:
            return max_upload
        if path.endswith("/gradio_api/queue/join") or "/gradio_api/call/" in path or "/gradio_api/run/" in path:
            return GRADIO_EVENT_BYTES
        return MAX_BODY_BYTES

    return limit


def _problem(error: dict[str, Any]) -> dict[str, str]:
    """One validation error as {field, problem}, in words a client can act on."""
    field = ".".join(str(p) for p in error["loc"][1:] if not isinstance(p, int) or error["type"] != "json_invalid")
    if error["type"] == "json_invalid":
        return {"field": "body", "problem": f"not valid JSON ({error.get('ctx', {}).get('error', 'decode error')})"}
    if error["type"] == "model_attributes_type" and not field:
        return {"field": "body", "problem": "must be a JSON object"}
    if error["type"] == "missing" and not field:
        return {"field": "body", "problem": 'missing: send a JSON object, e.g. {"question": "..."}'}
    return {"field": field or "body", "problem": error["msg"]}


def unsupported_body(content_type: str | None) -> str:
    """What a client that sent a body without `Content-Type: application/json` is told (`curl -d`
    sends application/x-www-form-urlencoded): FastAPI does not read such a body as JSON."""
    sent = f"this request's Content-Type is {content_type}" if content_type else "this request has none"
    return (f"the Content-Type header must be application/json ({sent}): send the JSON body with "
            "`-H 'Content-Type: application/json'`")


def frame_ancestors(origins: list[str]) -> str:
    return "frame-ancestors " + ("*" if "*" in origins else " ".join(["'self'", *origins]))


def build_main_page(assistant: Assistant, server: ServerSettings, auth: AdminAuth | None = None) -> gr.Blocks:
    """The full page: the chat, and the Articles tab (with administration when enabled)."""
    if auth is None:
        auth = admin_auth(server)
    with gr.Blocks(title="News QA", analytics_enabled=False, fill_height=True) as page:
        # One header above the tabs: the title, then what the answers are (the status line).
        gr.Markdown(f"# {TITLE}", elem_id="qa-title")
        status = gr.Markdown(status_line(assistant), elem_id="qa-status")
        with gr.Tab("Chat", elem_id="qa-chat-tab"):
            build_chat(assistant, concurrency=server.concurrency)
        with gr.Tab("Timeline", elem_id="qa-timeline-tab"):
            build_timeline_tab(assistant, concurrency=server.concurrency)
        with gr.Tab("Articles", elem_id="qa-articles-tab"):
            articles = build_articles_tab(
                assistant, password=auth, password_env=server.admin_password_env,
                uploads=assistant.settings.data.dir / "uploads", max_upload_mb=server.max_upload_mb,
                upload_types=server.upload_types)
        page.load(lambda: page_values(assistant, articles), None, [status, *articles.components],
                  api_visibility="private")
    return page


def admin_auth(server: ServerSettings) -> AdminAuth:
    """The server's one admin password check (both faces count the same wrong passwords)."""
    return AdminAuth(os.environ.get(server.admin_password_env) or None, env=server.admin_password_env,
                     trusted_proxies=server.trusted_proxies)


def build_widget(assistant: Assistant, server: ServerSettings) -> gr.Blocks:
    """The embeddable widget: the same chat, compact, with no administration and no secrets.
    Each page load applies the page's options (`ui.widget`: title, language, examples) to the
    empty state and the question box; the examples default to the newest articles'."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True) as widget:
        chat = build_chat(assistant, compact=True, concurrency=server.concurrency)

        def apply_options(request: gr.Request) -> tuple[Any, Any]:
            options = WidgetOptions.from_query(request.query_params)
            return (gr.update(placeholder=options.empty_state(),
                              examples=options.example_messages(example_questions(assistant))),
                    gr.update(placeholder=options.labels.placeholder))

        widget.load(apply_options, None, [chat.chatbot, chat.textbox], api_visibility="private",
                    show_progress="hidden")
    return widget


def face_assets(*, widget: bool) -> dict[str, str]:
    """The pages' own CSS and script (ui/static), inlined in their <head>. Not Gradio's `css`:
    Gradio rewrites that, scoping each rule inside @media to its `.contain` element, so rules
    for the page around it (margins on phones) would never apply."""
    styles = ["face.css", *(["widget.css"] if widget else [])]
    css = "".join(f"<style>{(STATIC / name).read_text(encoding='utf-8')}</style>" for name in styles)
    # Inlined in a <script> element: "</" could end it early.
    script = (STATIC / "face.js").read_text(encoding="utf-8").replace("</", "<\\/")
    return {"head": f"{css}<script>{script}</script>"}


def create_app(assistant: Assistant) -> FastAPI:
    """Build the ASGI app; the assistant (and its one model) is shared by every request.

    With `web.background_refresh`, the app's lifespan runs `qa.background.BackgroundRefresh`
    (started with the server, stopped at its shutdown)."""
    server = assistant.settings.server
    auth = admin_auth(server)
    web = assistant.web  # created once, here: its creation is not thread-safe
    refresher = BackgroundRefresh(web, check_s=assistant.settings.web.refresh_check_s) \
        if assistant.settings.web.background_refresh else None
    mcp = build_mcp(assistant) if server.mcp else None
    # The SDK's app is one route (no middleware); added to this app's routes it answers at
    # /mcp exactly, where a mount would redirect /mcp to /mcp/ and MCP clients do not follow.
    mcp_app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, host=server.host) if mcp else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What was built so far (the model, Gradio's blocks, the store) lives as long as the server:
        # kept out of the garbage collector's full passes, which otherwise stall every request for
        # some 0.3 s each when a burst of requests (a flood of wrong passwords) sets them off.
        gc.freeze()
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

    # /docs (Swagger UI) and /redoc from the fastapi-offline package's copies of their scripts and
    # styles, served under DOCS_ASSETS: FastAPI's own pages load them from a CDN, and are blank
    # offline. No online validator badge (validatorUrl null): nothing leaves the server.
    app = FastAPIOffline(title="News QA", version="0.1.0", lifespan=lifespan, static_url=DOCS_ASSETS,
                         swagger_ui_parameters={"validatorUrl": None},
                         description="Grounded, cited answers from your news articles.")
    # One upload's bytes. Gradio's own per-file limit is the same, so that the gate (413 in the JSON
    # shape) speaks first; `Admin.upload` refuses, by name, a file over max_upload_mb.
    max_upload = server.max_upload_mb * 1024 * 1024 + MULTIPART_FRAMING
    # Innermost of the middleware (added first): its refusals get the CORS and framing headers too.
    app.add_middleware(RequestGate, auth=auth, admin_paths=WEB_ADMIN_PATHS, body_limit=body_limits(max_upload),
                       admin_read_paths=(FEEDBACK_PATH,))
    app.add_middleware(CORSMiddleware, allow_origins=server.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    limiter = RateLimiter(server.rate_limit, exempt=server.rate_limit_exempt, trusted_proxies=server.trusted_proxies)
    app.add_middleware(Guard, limiter=limiter, embed_policy=frame_ancestors(server.embed_origins))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if isinstance(exc.body, bytes | bytearray):  # a body FastAPI did not read as JSON: its Content-Type
            return _error(415, unsupported_body(request.headers.get("content-type")))
        details = [_problem(e) for e in exc.errors()]
        summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
        return _error(422, f"invalid request: {summary}", details=details)

    @app.exception_handler(StoreUnavailableError)
    async def engine_down(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        return unavailable_response(assistant, exc)  # every route: 503 naming the engine, not a 400

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
    feedback_api = build_feedback_router(assistant, auth)  # GET /api/feedback, admin only
    app.include_router(feedback_api)
    timeline_api = build_timeline_router(assistant)  # POST /api/timeline
    app.include_router(timeline_api)
    api_methods: dict[str, set[str]] = {}
    for route in [*api.routes, *web_api.routes, *feedback_api.routes, *timeline_api.routes]:
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

    @app.get(EMBED_PATH, include_in_schema=False)
    async def embed_without_slash(request: Request) -> RedirectResponse:
        """The widget lives at /embed/ (Gradio's mount); /embed, as people write it, leads there,
        with its query string. Relative, so that it holds behind a proxy's path prefix too."""
        query = request.url.query
        return RedirectResponse("embed/" + (f"?{query}" if query else ""), status_code=308)

    @app.get(WIDGET_SCRIPT, include_in_schema=False)
    async def widget_script() -> FileResponse:
        """The launcher script. Pages on any site include it with a <script> tag (no CORS needed
        for that); Cross-Origin-Resource-Policy lets pages that require it (COEP) load it too."""
        return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300",
                                     "Cross-Origin-Resource-Policy": "cross-origin"})

    widget, page = build_widget(assistant, server), build_main_page(assistant, server, auth)
    # The widget is mounted first: the page at "/" would otherwise catch /embed too.
    app = gr.mount_gradio_app(app, widget, path=EMBED_PATH, footer_links=[], max_file_size=max_upload,
                              **face_assets(widget=True))
    app = gr.mount_gradio_app(app, page, path="/", footer_links=["api"], max_file_size=max_upload,
                              **face_assets(widget=False))
    for blocks in (widget, page):
        # Gradio checks that a file named in an event's data (FileData) was uploaded to its cache
        # only in launched Blocks (processing_utils._check_allowed); mounted ones would copy any
        # file of the server into the cache, and serve it. This turns the check on.
        blocks.has_launched = True
    return app


def app_from_environment() -> FastAPI:
    """Factory for several worker processes (`qa serve` with server.workers > 1): each worker
    reads the same config (QA_CONFIG and QA_ overrides) and loads the model once."""
    return create_app(Assistant(load_settings()))
