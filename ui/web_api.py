"""The JSON API of web sources: list them (anyone), and, with the admin password, add, remove and
refresh them and fetch article URLs.

The password goes in `Authorization: Bearer <password>` (the `server.admin_password_env`
variable's value). It is checked by `ui.gate` before any of the body is read, with the same
waits after wrong passwords as the Articles tab (`ui.auth`).
Errors are the app's JSON shape `{"ok": false, "status", "error"}`: 400 not an http(s) URL,
401 wrong or missing password (with Retry-After when the address must wait before its next
try), 403 administration disabled or a refused (private, loopback) address, 404 unknown source,
409 a source only config.yaml can change, 413 a body over `ui.api.MAX_BODY_BYTES`, 422 nothing
could be indexed (each URL's reason in `report`), 429 (with Retry-After) too many wrong passwords
from the address, not checked, 503 (with Retry-After) the index busy with another writer,
or a refresh still running after `qa.web_admin.BUSY_WAIT_S` ("a refresh of URL is running; try
again in a moment": the background refresh or another administrator's), or the search engine out of
reach (`ui.engine`: the body's `engine` names its address).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from index.errors import IndexBusyError, QAError, StoreUnavailableError
from qa.api import Assistant
from qa.web import WebBusyError
from qa.web_admin import MAX_URLS, ConfiguredSourceError, RefusedAddressError, UnknownSourceError, WebAdmin
from ui.auth import AdminAuth
from ui.gate import ADMITTED


class SourceOut(BaseModel):
    url: str
    kind: Literal["feed", "sitemap"]
    title: str
    interval_minutes: int = Field(description="Minutes between refreshes (the source's own, or web.refresh_minutes).")
    configured: bool = Field(description="Listed in config.yaml (web.feeds); only the configuration removes it.")
    added_at: str | None
    last_refresh: str | None = Field(description="ISO 8601, UTC; null: never refreshed (due now).")
    last_status: Literal["ok", "not_modified", "failed"] | None
    last_error: str
    new: int = Field(description="Of the last refresh: entries indexed for the first time.")
    updated: int
    unchanged: int
    failed: int
    errors: list[str] = Field(description="Of the last refresh: the source's error and each failed entry's.")
    entries: int = Field(description="Entries (or sitemap URLs) known.")
    next_due: str | None


class AddSourceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, examples=["https://example.org/rss.xml"])
    kind: Literal["feed", "sitemap"] = "feed"
    interval_minutes: int | None = Field(None, ge=1, le=525_600,
                                         description="Minutes between refreshes; null: web.refresh_minutes.")
    refresh: bool = Field(False, description="Read it now and return the report (default: at the next "
                                             "background refresh).")


class AddSourceResponse(BaseModel):
    source: SourceOut
    created: bool
    report: dict[str, Any] | None = Field(None, description="With refresh: the refresh report (as below).")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2000, description="One source; null: every source, due or not.")


class RemoveResponse(BaseModel):
    removed: str
    articles_deleted: list[str]


class IngestURLsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(min_length=1, max_length=MAX_URLS,
                            examples=[["https://example.org/news/harbour-reopens"]])


BUSY_RETRY_AFTER_S = 10  # after a refresh outlasted the request's wait: a short, polite pause


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "error": message, **extra}, status_code=status)


def _http_error(exc: QAError) -> HTTPException:
    """A web admin error -> its HTTP status, the message kept."""
    if isinstance(exc, RefusedAddressError):
        return HTTPException(403, str(exc))
    if isinstance(exc, UnknownSourceError):
        return HTTPException(404, str(exc))
    if isinstance(exc, ConfiguredSourceError):
        return HTTPException(409, str(exc))
    if isinstance(exc, WebBusyError):
        return HTTPException(503, str(exc), headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
    if isinstance(exc, IndexBusyError):
        return HTTPException(503, str(exc), headers={"Retry-After": "30"})
    return HTTPException(400, str(exc))  # BlockedURLError (not http(s)) and other bad input


def source_out(state: Any, default_minutes: int) -> dict[str, Any]:
    data = state.to_dict()
    data["interval_minutes"] = state.interval_minutes or default_minutes
    return {name: data[name] for name in SourceOut.model_fields}


def build_web_router(assistant: Assistant, auth: AdminAuth) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["web sources"])
    web = assistant.web
    admin = WebAdmin(web)
    bearer = HTTPBearer(auto_error=False, description="The admin password (server.admin_password_env).")

    async def require_admin(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        """The gate (`ui.gate`) checked the password before the body was read; a request it did
        not admit (an app without the gate) is refused. `bearer` documents the scheme in /docs."""
        if not auth.enabled:
            raise HTTPException(403, auth.disabled_message())
        if not request.scope.get(ADMITTED):
            raise HTTPException(401, "wrong or missing admin password: send it as `Authorization: Bearer PASSWORD`",
                                headers={"WWW-Authenticate": "Bearer"})

    async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except StoreUnavailableError:
            raise  # the app's handler: 503 naming the engine (`ui.engine`)
        except QAError as exc:
            raise _http_error(exc) from exc

    def out(state: Any) -> dict[str, Any]:  # noqa: ANN401
        return source_out(state, web.settings.refresh_minutes)

    @router.get("/sources", response_model=list[SourceOut])
    async def sources() -> list[dict[str, Any]]:
        """The feeds and sitemaps refreshed by the server (configured and added), with the state
        of their last refresh and when they are due again."""
        return [out(s) for s in await run_in_threadpool(web.sources)]

    @router.post("/sources", response_model=AddSourceResponse, status_code=201,
                 dependencies=[Depends(require_admin)], responses={200: {"description": "A known source, updated."}})
    async def add_source(body: AddSourceRequest, response: Response) -> dict[str, Any]:
        """Add a feed or sitemap (admin). It is read at the next background refresh, or at once
        with `"refresh": true`. A known source gets the new interval (200)."""
        state, created = await call(admin.add_source, body.url, body.kind, body.interval_minutes)
        if not created:
            response.status_code = 200
        report = None
        if body.refresh:
            report = (await call(admin.refresh, state.url)).to_dict()
            state = await call(admin.source, state.url)
        return {"source": out(state), "created": created, "report": report}

    @router.delete("/sources", response_model=RemoveResponse, dependencies=[Depends(require_admin)])
    async def remove_source(url: str = Query(..., min_length=1, max_length=2000, description="The source's URL."),
                            delete_articles: bool = Query(False, description="Also delete the articles only this "
                                                                             "source brought.")) -> dict[str, Any]:
        """Forget a source an administrator added (admin); its articles stay unless `delete_articles`."""
        known = await call(admin.source, url)
        deleted = await call(admin.remove_source, known.url, delete_articles=delete_articles)
        return {"removed": known.url, "articles_deleted": deleted}

    @router.post("/sources/refresh", dependencies=[Depends(require_admin)])
    async def refresh(body: RefreshRequest | None = None) -> dict[str, Any]:
        """Refresh one source now, or all of them (admin); returns the refresh report:
        `{"sources": [{"source", "kind", "status", "error", "items": [...], "summary", ...}], "summary",
        "failed_sources", "chunks_added", "chunks_deleted"}`."""
        report = await call(admin.refresh, body.url if body else None)
        return report.to_dict()

    @router.post("/articles/url", dependencies=[Depends(require_admin)],
                 responses={422: {"description": "No URL could be indexed; `report` holds each one's reason."}})
    async def ingest_urls(body: IngestURLsRequest) -> Any:  # noqa: ANN401
        """Fetch article pages and index them (admin); returns the report, with one item per URL
        (`indexed`, `updated`, `unchanged`, `skipped`, `failed` + reason). Nothing is fetched when
        a URL is not http(s) (400) or points at a refused address (403)."""
        report = await call(admin.ingest_urls, body.urls)
        items = report.items
        if items and all(item.status == "failed" for item in items):
            reasons = "; ".join(f"{item.url}: {item.reason}" for item in items[:5])
            return error_response(422, f"nothing was indexed: {reasons}", report=report.to_dict())
        return report.to_dict()

    return router

