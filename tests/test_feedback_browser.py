"""Readers' feedback in a real headless Chromium: thumbs up, then down, and a note on an answer of
the chat at /, and of the widget at /embed/; the records as stored (`GET /api/feedback`, the
Articles tab). Screenshots are saved under test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from tests.support import SAMPLE_FILE, running_server
from tests.test_browser import MISSILES, PASSWORD, ask, open_chat, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTE = "The missiles are not the point: I asked who sends them."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    articles = tmp_path_factory.mktemp("articles")
    shutil.copy(SAMPLE_FILE, articles / SAMPLE_FILE.name)
    data = tmp_path_factory.mktemp("served") / "data"
    with running_server(data, articles, env={"QA_ADMIN_PASSWORD": PASSWORD}) as url:
        yield url


def stored(server: str, **params: object) -> list[dict]:
    response = httpx.get(f"{server}/api/feedback", params=params, headers={"Authorization": f"Bearer {PASSWORD}"})
    assert response.status_code == 200, response.text
    return response.json()["feedback"]


def wait_for(check: object, page: object, timeout_s: float = 30) -> object:
    """Poll `check()` until it returns something true (the rating is stored by its own event)."""
    for _ in range(int(timeout_s * 4)):
        found = check()
        if found:
            return found
        page.wait_for_timeout(250)
    raise AssertionError("not stored in time")


def rate_and_note(page: object, root: object, server: str, face: str) -> dict:
    """Ask, rate the answer up, change it to down, write a note; return the stored record."""
    box = root.locator("#qa-question textarea")
    box.wait_for(timeout=60_000)
    ask(box, MISSILES)
    bot = root.locator("#qa-chatbot")
    bot.get_by_text("Sources", exact=True).first.wait_for(timeout=60_000)
    before = {r["id"] for r in stored(server)}

    bot.get_by_role("button", name="Like").last.click()
    root.locator("#qa-feedback-status").get_by_text("is saved").wait_for(timeout=30_000)
    record = wait_for(lambda: [r for r in stored(server) if r["id"] not in before], page)[0]
    assert record["rating"] == "up" and record["face"] == face
    assert not root.locator("#qa-feedback-note").is_visible()  # a note is asked after a thumbs down only

    bot.get_by_role("button", name="Dislike").last.click()  # changes the same record
    note = root.locator("#qa-feedback-text textarea")
    note.wait_for(timeout=30_000)
    note.fill(NOTE)
    screenshot(page, f"feedback-{face}-note.png")
    root.locator("#qa-feedback-send").click()
    root.locator("#qa-feedback-status").get_by_text("your note is saved").wait_for(timeout=30_000)
    records = wait_for(lambda: [r for r in stored(server) if r["id"] not in before and r["note"]], page)
    assert len(records) == 1 and records[0]["id"] == record["id"]
    return records[0]


def assert_the_answer_is_kept(record: dict) -> None:
    assert record["rating"] == "down" and record["note"] == NOTE
    assert record["question"] == MISSILES and record["outcome"] == "answered"
    assert "medium- and long-range missiles" in record["answer"]
    [cited] = record["citations"]
    assert cited["title"] == "Macron Ukraine Ground Troops" and "long-range missiles" in cited["quote"]
    assert cited["article_id"] and cited["date"] == "2024-02-27"
    assert len(record["as_of"]) == 10 and record["created"]
    assert "127.0.0.1" not in str(record)  # nothing about who rated


def test_thumbs_and_a_note_in_the_chat(page: object, server: str) -> None:
    open_chat(page, server + "/")
    record = rate_and_note(page, page, server, "chat")
    assert_the_answer_is_kept(record)
    screenshot(page, "feedback-chat.png")

    # The administrator sees it in the Articles tab, after the password.
    page.get_by_role("tab", name="Articles").click()
    page.locator("#qa-admin-password input").fill(PASSWORD)
    page.locator("#qa-show-feedback").click()
    table = page.locator("#qa-feedback-table")
    wait_for(lambda: NOTE in table.inner_text(), page)
    assert MISSILES in table.inner_text() and "down" in table.inner_text()
    screenshot(page, "feedback-admin.png")


def test_thumbs_and_a_note_in_the_widget(page: object, server: str) -> None:
    page.goto(server + "/embed/", wait_until="domcontentloaded")
    record = rate_and_note(page, page, server, "widget")
    assert_the_answer_is_kept(record)
    screenshot(page, "feedback-widget.png")

    # The same thumb again takes the rating back.
    bot = page.locator("#qa-chatbot")
    bot.get_by_role("button", name="Disliked").last.click()
    page.locator("#qa-feedback-status").get_by_text("taken back").wait_for(timeout=30_000)
    assert record["id"] not in {r["id"] for r in stored(server)}

    # A follow-up's rating keeps its own answer and the conversation it was asked in.
    ask(page.locator("#qa-question textarea"), "Was there a consensus on sending ground troops?")
    bot.get_by_text("Sources", exact=True).nth(1).wait_for(timeout=60_000)
    bot.get_by_role("button", name="Like").last.click()
    [follow_up] = wait_for(lambda: [r for r in stored(server) if r["question"].startswith("Was there")], page)
    assert follow_up["rating"] == "up" and "ground troops" in follow_up["answer"]
    assert [m["role"] for m in follow_up["history"]] == ["user", "assistant"]
    assert follow_up["history"][0]["content"] == MISSILES and "long-range missiles" in follow_up["history"][1]["content"]


def test_the_feedback_route_needs_the_password(server: str) -> None:
    assert httpx.get(f"{server}/api/feedback").status_code == 401
    wrong = httpx.get(f"{server}/api/feedback", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and wrong.json()["ok"] is False
    assert httpx.get(f"{server}/api/feedback", headers={"Authorization": f"Bearer {PASSWORD}"}).status_code == 200
