"""A scripted OpenAI-compatible (and Ollama) chat server on loopback, for tests and the benchmark.

It speaks enough of `POST /v1/chat/completions` (plain and `stream: true` server-sent events)
for `langchain-openai`'s `ChatOpenAI`, and of Ollama's `POST /api/chat` (plain and NDJSON
streaming) for `langchain-ollama`'s `ChatOllama` (`ollama_url`). What it answers is a script: a function from the
request's JSON to a `Reply`, so a test decides per request (the rewrite prompt and the answer
prompt can get different replies) and can fail on purpose: hang past the client's timeout,
answer 500, or send garbage. Every request is recorded in `requests`.

    with ScriptedLLM(lambda request: Reply("Paris [1].")) as llm:
        settings.llm.base_url = llm.base_url
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    Args:
        text: What the model "writes".
        delay_s: Seconds before the response starts (before the first token when streaming).
        token_delay_s: Seconds between streamed pieces.
        kind: ok; hang (sleep `delay_s`, then close without answering); error (HTTP 500);
            garbage (HTTP 200 with a body that is not the API's JSON).
    """

    text: str = ""
    delay_s: float = 0.0
    token_delay_s: float = 0.0
    kind: Literal["ok", "hang", "error", "garbage"] = "ok"


Script = Callable[[dict[str, Any]], Reply]


def last_user_message(request: dict[str, Any]) -> str:
    messages = [m for m in request.get("messages", []) if m.get("role") == "user"]
    content = messages[-1]["content"] if messages else ""
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


def is_rewrite(request: dict[str, Any]) -> bool:
    """Whether the request is the follow-up rewrite (not the answer) prompt."""
    return "Standalone question:" in last_user_message(request)


class ScriptedLLM:
    """The server; a context manager that starts it on a free loopback port and stops it."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def ollama_url(self) -> str:
        """The Ollama endpoint."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                owner.requests.append(body)
                ollama = self.path == "/api/chat"
                if not ollama and not self.path.endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "not found"}}')
                reply = owner.script(body)
                time.sleep(reply.delay_s)
                if reply.kind == "hang":
                    self.close_connection = True
                    return None
                if reply.kind == "error":
                    return self._send(500, b'{"error": {"message": "scripted failure", "type": "server_error"}}')
                if reply.kind == "garbage":
                    return self._send(200, b"<html>this is not JSON</html>", "text/html")
                if ollama:
                    return self._ollama(body, reply)
                if body.get("stream"):
                    return self._stream(body, reply)
                return self._send(200, json.dumps(_completion(body, reply.text)).encode())

            def _ollama(self, body: dict[str, Any], reply: Reply) -> None:
                if body.get("stream") is False:
                    return self._send(200, json.dumps(_ollama_message(body, reply.text, done=True)).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for n, piece in enumerate(_pieces(reply.text)):
                    if n and reply.token_delay_s:
                        time.sleep(reply.token_delay_s)
                    self.wfile.write(json.dumps(_ollama_message(body, piece, done=False)).encode() + b"\n")
                    self.wfile.flush()
                self.wfile.write(json.dumps(_ollama_message(body, "", done=True)).encode() + b"\n")
                self.wfile.flush()

            def _send(self, status: int, data: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for n, piece in enumerate(_pieces(reply.text)):
                    if n and reply.token_delay_s:
                        time.sleep(reply.token_delay_s)
                    self._event(_chunk(body, {"role": "assistant", "content": piece} if n == 0 else {"content": piece}))
                self._event(_chunk(body, {}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        return Handler


def _pieces(text: str) -> list[str]:
    """The text in word-sized pieces, as a model streams tokens."""
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)] if text else [""]


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
            "model": body.get("model", "m"), "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _ollama_message(body: dict[str, Any], text: str, *, done: bool) -> dict[str, Any]:
    message = {"model": body.get("model", "m"), "created_at": "2024-01-01T00:00:00Z",
               "message": {"role": "assistant", "content": text}, "done": done}
    if done:
        message.update(done_reason="stop", total_duration=0, eval_count=0, prompt_eval_count=0)
    return message
