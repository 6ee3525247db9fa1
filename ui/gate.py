"""What every HTTP request passes before any of its body is read: the admin password on the admin
routes, and the body size limit on all routes. A pure ASGI middleware (`RequestGate`), so that
nothing reads, buffers or parses a body before it.

- Admin routes (POST and DELETE on the JSON API's admin paths, every method on the admin read
  paths, e.g. `GET /api/feedback`) are admitted by
  `ui.auth.AdminAuth.verify` on the `Authorization: Bearer` header alone: a refusal (401, 403,
  429) is answered without reading a byte of the body. Admitted requests are marked in the ASGI
  scope (`ADMITTED`), which `ui.web_api` requires.
- Bodies are counted while they are read, chunked or not: past the route's limit the client gets
  413 at once and the app sees the client gone. A declared Content-Length over the limit gets
  413 before anything is read. The limit depends on the route (`body_limit`, given by `ui.app`):
  `ui.api.MAX_BODY_BYTES` (256 KB) for the JSON API and most routes, `server.max_upload_mb` on
  Gradio's file upload routes (all the files of one upload together), and a larger bound on
  Gradio's event routes, whose bodies carry the whole chat conversation.

Errors are the app's JSON shape `{"ok": false, "status", "error"}`. A refusal sent while body
bytes are still coming closes the connection, so that the client stops sending.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.auth import AdminAuth, AdminDenied

ADMITTED = "qa.admin_admitted"  # scope key: the gate checked this request's admin password
ADMIN_METHODS = ("POST", "DELETE")


class RequestGate:
    """The admin password and the body limit, before the app reads anything (see the module)."""

    def __init__(self, app: ASGIApp, *, auth: AdminAuth, admin_paths: tuple[str, ...],
                 body_limit: Callable[[str], int], admin_read_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.auth = auth
        self.admin_paths = frozenset(admin_paths)
        self.admin_read_paths = frozenset(admin_read_paths)  # admin on every method: what they show is private
        self.body_limit = body_limit  # path -> the most bytes its body may have

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        has_body = "transfer-encoding" in headers or headers.get("content-length", "0") != "0"
        if (scope["method"] in ADMIN_METHODS and scope["path"] in self.admin_paths) \
                or scope["path"] in self.admin_read_paths:
            try:
                self.admit(scope, headers)
            except AdminDenied as denied:
                extra = {"WWW-Authenticate": "Bearer"} if denied.status == 401 else {}
                if denied.retry_after:
                    extra["Retry-After"] = str(denied.retry_after)
                message = denied.message
                if denied.status == 401:
                    message += ": send it as `Authorization: Bearer PASSWORD`"
                    if denied.retry_after:
                        message += f"; wait {denied.retry_after} s before the next try"
                await error(denied.status, message, extra, close=has_body)(scope, receive, send)
                return
        limit = self.body_limit(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error(413, f"request body is {declared} bytes; the limit is {limit}", close=True)(
                scope, receive, send)
            return
        await self._bounded(scope, receive, send, limit)

    def admit(self, scope: Scope, headers: Headers) -> None:
        """Check the bearer password of an admin request (raises `AdminDenied`)."""
        scheme, _, password = headers.get("authorization", "").partition(" ")
        peer = scope.get("client")
        client = self.auth.client_address(peer[0] if peer else None, headers.get("x-forwarded-for"))
        self.auth.verify(password.strip() if scheme.lower() == "bearer" else None, client)
        scope[ADMITTED] = True

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with its body counted: past `limit`, answer 413 and tell the app the
        client left (it then stops reading; whatever it still sends is dropped)."""
        received, refused, started = 0, False, False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await error(413, f"request body is over the limit of {limit} bytes", close=True)(
                            scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:  # after a 413 the app's complaints about the missing body are moot
                raise


def error(status: int, message: str, headers: dict[str, str] | None = None, *, close: bool = False) -> JSONResponse:
    """The app's JSON error; `close`: end the connection after it (the client is still sending)."""
    headers = {**(headers or {}), **({"Connection": "close"} if close else {})}
    return JSONResponse({"ok": False, "status": status, "error": message}, status_code=status, headers=headers)

