"""The JSON API in process (httpx over ASGI): answers, health, and 4xx JSON for bad input.

Every test here only reads, so the sample article is indexed once per store mode for the
whole module (not once per test and parameter), and the app over it is built once too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings, StoreSettings
from tests.support import SAMPLE_DIR, both_store_modes, server_store
from ui.app import create_app


@pytest.fixture(scope="module")
def shared_clients() -> Iterator[dict[str, tuple[Assistant, _SyncASGI]]]:
    """The module's indexes and apps, one per store mode, made by `client` on first use."""
    made: dict[str, tuple[Assistant, _SyncASGI]] = {}
    yield made
    for assistant, _ in made.values():  # the tests only read: the index is as it was
        assert [a.title for a in assistant.articles()] == ["Macron Ukraine Ground Troops"]


@pytest.fixture
def client(store_mode: str, shared_clients: dict[str, tuple[Assistant, _SyncASGI]], embedder: Embedder,
           tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> _SyncASGI:
    """A client of the app over the sample article's index in the test's store mode (shared)."""
    if store_mode not in shared_clients:
        # Its own data dir and (in server mode) its own collection, not the test's: they outlive it.
        data = tmp_path_factory.mktemp(f"http-api-{store_mode}") / "qa-data"
        store = StoreSettings() if store_mode == "embedded" else server_store(*request.getfixturevalue("chroma_server"))
        settings = Settings().model_copy(update={"data": Settings().data.model_copy(update={"dir": data}),
                                                 "store": store})
        assistant = Assistant(settings, embedder=embedder)
        assert assistant.ingest([SAMPLE_DIR]).count("indexed") == 1
        shared_clients[store_mode] = assistant, _SyncASGI(httpx.ASGITransport(app=create_app(assistant)))
    return shared_clients[store_mode][1]


class _SyncASGI:
    """A tiny sync facade over httpx's async ASGI transport."""

    def __init__(self, transport: httpx.ASGITransport) -> None:
        self.transport = transport

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        import anyio

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        return anyio.run(go)


@both_store_modes
def test_ask_returns_the_cli_json_shape(client: _SyncASGI) -> None:
    r = client.request("POST", "/api/ask", json={"question": "What did Macron announce about missiles?"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"question", "answer", "outcome", "abstained", "short_answer", "confidence", "notice",
                         "mode", "unsupported", "citations", "conflicts", "timings_ms"}
    assert "medium- and long-range missiles" in body["answer"]
    assert body["citations"][0]["date"] == "2024-02-27"


@both_store_modes
def test_ask_uses_history(client: _SyncASGI) -> None:
    alone = client.request("POST", "/api/ask", json={"question": "Which areas were they?"}).json()
    history = [{"role": "user", "content": "What did Macron outline during the conference?"},
               {"role": "assistant", "content": "During the conference, Macron outlined five key areas [1]"}]
    r = client.request("POST", "/api/ask", json={"question": "Which areas were they?", "history": history})
    assert r.status_code == 200
    body = r.json()
    assert body["outcome"] == "answered" and "cyber defense" in body["answer"]
    # The conversation makes the judge surer than the bare question does.
    assert alone["confidence"] is None or body["confidence"] > alone["confidence"]


@both_store_modes
def test_as_of_reads_time_words_and_a_bad_one_is_a_json_error(client: _SyncASGI) -> None:
    r = client.request("POST", "/api/ask", json={"question": "What did Macron announce this week about missiles?",
                                                 "as_of": "2024-02-29"})
    assert r.status_code == 200 and r.json()["notice"] is None  # published 2024-02-27: inside the week
    late = client.request("POST", "/api/ask", json={"question": "What did Macron announce this week about missiles?",
                                                    "as_of": "2024-06-01"}).json()
    assert "2024-02-27" in (late["notice"] or "")
    bad = client.request("POST", "/api/ask", json={"question": "What happened today?", "as_of": "someday"})
    assert 400 <= bad.status_code < 500 and "as_of" in bad.json()["error"] and "--" not in bad.json()["error"]


@both_store_modes
def test_health_and_articles(client: _SyncASGI) -> None:
    health = client.request("GET", "/api/health").json()
    assert health["status"] == "ok" and health["articles"] == 1 and health["model"] == "all-MiniLM-L6-v2"
    assert health["backend"] == "onnx-int8"
    assert health["engine"]["backend"] == "chroma" and health["engine"]["state"] == "up"
    articles = client.request("GET", "/api/articles").json()
    assert articles[0]["title"] == "Macron Ukraine Ground Troops"


@pytest.mark.parametrize("payload, status, fragment", [
    ({}, 422, "question"),
    ({"question": ""}, 400, "question is empty"),
    ({"question": 42}, 422, "question"),
    ({"question": "ok?", "history": "nope"}, 422, "history"),
    ({"question": "   "}, 400, "question is empty"),
    ({"question": "ok?", "since": "last tuesday"}, 400, "not a date"),
])
def test_bad_requests_get_json_errors(client: _SyncASGI, payload: dict, status: int, fragment: str) -> None:
    r = client.request("POST", "/api/ask", json=payload)
    assert r.status_code == status
    body = r.json()
    assert body["ok"] is False and fragment in body["error"]
    assert "Traceback" not in r.text


def test_malformed_and_oversized_bodies(client: _SyncASGI) -> None:
    r = client.request("POST", "/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["ok"] is False
    big = b'{"question": "' + b"a" * 300_000 + b'"}'
    r = client.request("POST", "/api/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["error"]


def test_openapi_docs_are_served(client: _SyncASGI) -> None:
    assert "/api/ask" in client.request("GET", "/openapi.json").json()["paths"]
    assert client.request("GET", "/docs").status_code == 200
