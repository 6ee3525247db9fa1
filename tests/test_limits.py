"""Limits are configurable and enforced: questions per minute per client address (429 with
Retry-After, loopback exempt, X-Forwarded-For only from trusted proxies), question length, and
the types the admin upload accepts; and odd questions (empty, huge, control characters, other
scripts, punctuation only) get a clear outcome, never a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import SAMPLE_DIR
from ui.admin import Admin
from ui.app import create_app
from ui.ratelimit import RateLimiter

ASK = {"question": "What did Macron announce about missiles?"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_says_when_to_come_back() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.retry_after("198.51.100.7") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert limiter.retry_after("198.51.100.7") == 40  # the oldest leaves the window in 40 s
    assert limiter.retry_after("198.51.100.8") is None  # another address has its own window
    clock.now += 40
    assert limiter.retry_after("198.51.100.7") is None


def test_exempt_networks_and_a_zero_limit_are_never_limited() -> None:
    limiter = RateLimiter(1, exempt=["127.0.0.1/32", "10.0.0.0/8"])
    assert all(limiter.retry_after(a) is None for a in ["127.0.0.1", "10.2.3.4"] * 5)
    assert RateLimiter(0).retry_after("198.51.100.7") is None and RateLimiter(0).retry_after("198.51.100.7") is None


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    limiter = RateLimiter(5, trusted_proxies=["10.0.0.0/8"])
    assert limiter.client_address("10.0.0.2", "203.0.113.9, 10.0.0.5") == "203.0.113.9"
    assert limiter.client_address("198.51.100.7", "203.0.113.9") == "198.51.100.7"  # not a proxy: ignored
    assert limiter.client_address("10.0.0.2", None) == "10.0.0.2"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("limits") / "data"
    settings.server.rate_limit = 3
    settings.server.rate_limit_exempt = []
    settings.answer.max_question_chars = 300
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([SAMPLE_DIR])
    return assistant


@pytest.fixture
def client(assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(assistant)) as test_client:  # a new app: a fresh limiter
        yield test_client


def test_the_fourth_question_in_a_minute_gets_429_with_retry_after(client: TestClient) -> None:
    assert [client.post("/api/ask", json=ASK).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post("/api/ask/stream", json=ASK)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    body = refused.json()
    assert body["ok"] is False and body["error"].startswith("too many questions from testclient: at most 3 a minute")
    assert client.get("/api/health").status_code == 200  # reading is not limited
    assert client.post("/gradio_api/queue/join", json={}).status_code == 429  # nor is the chat a way around


def test_the_question_length_limit_is_the_configured_one(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "x" * 301})
    assert response.status_code == 400
    assert response.json()["error"] == "the question is 301 characters long; the limit is 300"


def test_the_upload_accepts_only_the_configured_types(assistant: Assistant, tmp_path) -> None:  # noqa: ANN001
    note = tmp_path / "note.md"
    note.write_text("# A note\n\nThe library opens on Sundays from June.", encoding="utf-8")
    admin = Admin(assistant, "pw", tmp_path / "uploads", max_upload_mb=1, upload_types=[".txt"], incoming=tmp_path)
    message, _, _ = admin.upload("pw", [str(note)])
    assert message == "- **failed** note.md: file type not accepted (accepted: .txt)"


@pytest.mark.parametrize("question, outcome", [
    ("What did Macron announce about missiles?\x00\x07\x1b[31m", "answered"),  # control characters
    ("?!?!... ¿¡ — …", None),  # punctuation only
    ("Что Макрон объявил о ракетах?", None),  # another language and script
    ("马克龙宣布了什么导弹？", None),
    ("ما الذي أعلنه ماكرون بشأن الصواريخ؟", None),
    ("\U0001F680\U0001F680 missiles \U0001F680", None),  # emoji
])
def test_odd_questions_get_an_answer_or_a_clear_outcome(assistant: Assistant, question: str,
                                                         outcome: str | None) -> None:
    answer = assistant.ask(question)
    assert answer.outcome in ("answered", "uncertain", "not_in_articles") and answer.text
    if outcome:
        assert answer.outcome == outcome and "long-range missiles" in answer.text


@pytest.mark.parametrize("question, status, says", [
    ("", 400, "the question is empty: type a question about the articles"),
    (" \t\n ", 400, "the question is empty: type a question about the articles"),
    ("x" * 100_000, 400, "the question is 100000 characters long; the limit is 300"),
])
def test_empty_and_huge_questions_are_refused_clearly(assistant: Assistant, question: str, status: int,
                                                      says: str) -> None:
    assistant.settings.server.rate_limit = 0
    with TestClient(create_app(assistant)) as client:
        response = client.post("/api/ask", json={"question": question})
    assistant.settings.server.rate_limit = 3
    assert response.status_code == status and says in response.json()["error"]
