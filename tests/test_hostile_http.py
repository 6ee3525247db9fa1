"""Hostile and careless HTTP clients get a 4xx with the project's JSON error body, never a
stack trace or a server path, and the server keeps answering afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import SAMPLE_DIR
from ui.api import MAX_BODY_BYTES
from ui.app import create_app

MISSILES = {"question": "What did Macron announce about missiles?"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[TestClient]:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("hostile") / "data"
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([SAMPLE_DIR])
    with TestClient(create_app(assistant), raise_server_exceptions=False) as test_client:
        yield test_client


def _json_error(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and body["status"] == status and body["error"]
    assert "Traceback" not in response.text and "/work/" not in response.text and "/tmp/" not in response.text
    return body


def _chunks(total: int) -> Iterator[bytes]:
    """A JSON body sent without a Content-Length (chunked), `total` bytes long."""
    yield b'{"question": "'
    sent = 14
    while sent < total - 2:
        piece = b"x" * min(8192, total - 2 - sent)
        sent += len(piece)
        yield piece
    yield b'"}'


@pytest.mark.parametrize("body, status, says", [
    (b"{bad json", 422, "body: not valid JSON"),
    (b"[1, 2]", 422, "body: must be a JSON object"),
    (b'"just a string"', 422, "body: must be a JSON object"),
    (b"{}", 422, "question: Field required"),
    (b'{"question": 42}', 422, "question: Input should be a valid string"),
    (b'{"question": ""}', 400, "the question is empty: type a question about the articles"),
    (b'{"question": "ok", "history": "not a list"}', 422, "history: Input should be a valid list"),
    (b'{"question": "ok", "history": [{"role": "robot", "content": "x"}]}', 422,
     "history.0.role: Input should be 'user', 'assistant' or 'system'"),
    (b'{"question": "ok", "surprise": 1}', 422, "surprise: Extra inputs are not permitted"),
    (b'{"question": "ok", "since": "yesterday"}', 400, "since 'yesterday' is not a date; use YYYY-MM-DD"),
    (b'{"question": "   "}', 400, "the question is empty: type a question about the articles"),
    (b'{"question": "' + b"x" * 2001 + b'"}', 400, "the question is 2001 characters long; the limit is 2000"),
])
def test_bad_bodies_get_a_json_error_that_says_what_is_wrong(client: TestClient, body: bytes, status: int,
                                                              says: str) -> None:
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert says in _json_error(response, status)["error"]


def test_oversized_bodies_are_refused_with_and_without_a_content_length(client: TestClient) -> None:
    big = b'{"question": "' + b"x" * MAX_BODY_BYTES + b'"}'
    declared = client.post("/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert "the limit is 262144" in _json_error(declared, 413)["error"]
    chunked = client.post("/api/ask", content=_chunks(4 * MAX_BODY_BYTES), headers={"Content-Type": "application/json"})
    assert "over the limit of 262144 bytes" in _json_error(chunked, 413)["error"]


@pytest.mark.parametrize("method, path, status, says", [
    ("GET", "/api/nope", 404, "no API route /api/nope; the routes are /api/articles, /api/articles/url, /api/ask, "
                              "/api/ask/stream, /api/feedback, /api/health, /api/sources, /api/sources/refresh, "
                              "/api/timeline (see /docs)"),
    ("POST", "/api/ask/deeper/still", 404, "no API route /api/ask/deeper/still"),
    ("DELETE", "/api/articles", 405, "DELETE is not allowed on /api/articles; use GET"),
    ("GET", "/api/ask", 405, "GET is not allowed on /api/ask; use POST"),
    ("PUT", "/api/ask/", 405, "PUT is not allowed on /api/ask; use POST"),
])
def test_unknown_routes_and_methods_get_the_json_error(client: TestClient, method: str, path: str, status: int,
                                                       says: str) -> None:
    response = client.request(method, path)
    body = _json_error(response, status)
    assert says in body["error"]
    if status == 405:
        assert response.headers["allow"] == ", ".join(body["allowed"])


def test_the_server_keeps_answering_after_all_that(client: TestClient) -> None:
    client.post("/api/ask", content=b"{bad", headers={"Content-Type": "application/json"})
    client.post("/api/ask", content=_chunks(2 * MAX_BODY_BYTES), headers={"Content-Type": "application/json"})
    response = client.post("/api/ask", json=MISSILES)
    assert response.status_code == 200 and "medium- and long-range missiles" in response.json()["answer"]
    stream = client.post("/api/ask/stream", json=MISSILES)
    assert json.loads(stream.text.splitlines()[-1])["type"] == "answer"
