"""Readers' feedback: the store (records, bounds, many writers), the chat's rating and note
events, the admin route, and the export that `qa eval --dataset` reads back.

In a real browser: tests/test_feedback_browser.py."""

from __future__ import annotations

import json
import multiprocessing
import re
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from index.loading.load import load_file
from qa.api import Assistant
from qa.feedback import MAX_CITATIONS, MAX_HISTORY_MESSAGES, MAX_NOTE_CHARS, Cited, Feedback, FeedbackError, FeedbackStore
from qa.feedback_export import REVIEW_DISAGREE, REVIEW_DOWN_ABSTAINED, REVIEW_DOWN_ANSWERED, indexed_articles
from qa.models import Answer, Citation
from tests.support import SAMPLE_FILE
from ui.auth import AdminAuth
from ui.cli.serve import app as cli
from ui.feedback import GONE, ChatFeedback, build_feedback_router
from ui.gate import RequestGate
from ui.ratelimit import RateLimiter

MISSILES = "What did Macron announce about missiles?"
PERU = "What is the capital of Peru?"
PASSWORD = "correct horse battery staple"


def record(question: str = "Who won the derby?", rating: str = "up", **fields: object) -> Feedback:
    values = {"answer": "Lowtown won 2-1 in stoppage time. [1]", "outcome": "answered",
              "citations": (Cited("derby-1", "Derby report", "Lowtown won 2-1 in stoppage time.", "2024-03-02",
                                  "derby.txt", 1),), "as_of": "2024-03-03", **fields}
    return Feedback(rating=rating, question=question, **values)


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_data_dir(tmp_path / "data", max_question_chars=100)


# -- the store --------------------------------------------------------------------------------
def test_add_get_and_list_newest_first(store: FeedbackStore) -> None:
    assert store.list() == [] and store.count() == 0 and not store.path.exists()  # reading creates nothing
    first = store.add(record("Who won the derby?", "up"))
    second = store.add(record("Who scored?", "down", note="  the wrong goal  ", face="widget",
                              history=({"role": "user", "content": "Who won the derby?"},
                                       {"role": "assistant", "content": "Lowtown won."})))
    assert first.id and second.id and first.id != second.id and first.created
    assert store.path.name == "feedback.sqlite" and store.path.parent.name == "data"
    assert [f.question for f in store.list()] == ["Who scored?", "Who won the derby?"]
    assert [f.id for f in store.list(rating="down")] == [second.id] and store.count("up") == 1
    got = store.get(second.id)
    assert got == second and got.note == "the wrong goal" and got.face == "widget"
    assert got.citations[0].quote == "Lowtown won 2-1 in stoppage time." and got.as_of == "2024-03-03"
    assert got.history[0] == {"role": "user", "content": "Who won the derby?"}
    assert json.loads(json.dumps(got.to_dict()))["citations"][0]["article_id"] == "derby-1"

    assert store.rate(first.id, "down") and store.get(first.id).rating == "down"
    assert store.set_note(first.id, "the score is from last season")
    assert store.delete(second.id) and store.get(second.id) is None
    assert not store.delete(second.id) and not store.rate(second.id, "up") and not store.set_note(second.id, "x")
    with sqlite3.connect(store.path) as db:  # readers never wait for a writer
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bounds(store: FeedbackStore) -> None:
    store.add(record(note="n" * MAX_NOTE_CHARS))
    with pytest.raises(FeedbackError, match="note is 2001 characters long; the limit is 2000"):
        store.add(record(note="n" * (MAX_NOTE_CHARS + 1)))
    kept = store.add(record())
    with pytest.raises(FeedbackError, match="the limit is 2000"):
        store.set_note(kept.id, "n" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(FeedbackError, match="question is 101 characters long; the limit is 100"):
        store.add(record("q" * 101))
    with pytest.raises(FeedbackError, match="needs the question"):
        store.add(record("   "))
    with pytest.raises(FeedbackError, match="rating must be one of up, down"):
        store.add(record(rating="meh"))
    with pytest.raises(FeedbackError, match="rating must be"):
        store.rate(kept.id, "sideways")
    # What the server made is cut, not refused: a huge answer, many citations, a long conversation.
    long = store.add(record(answer="a" * 50_000, citations=tuple(Cited(f"a{n}", "t" * 900, "q" * 9000)
                                                                    for n in range(50)),
                            history=tuple({"role": "user", "content": f"question {n} " + "x" * 3000}
                                          for n in range(30))))
    got = store.get(long.id)
    assert len(got.answer) == 20_000 and len(got.citations) == MAX_CITATIONS
    assert len(got.citations[0].title) == 500 and len(got.citations[0].quote) == 2000
    assert len(got.history) <= MAX_HISTORY_MESSAGES and sum(len(m["content"]) for m in got.history) <= 8000
    assert got.history[-1]["content"].startswith("question 29")  # the newest turns are kept

    full = FeedbackStore(store.path, max_records=store.count())
    with pytest.raises(FeedbackError, match="feedback store is full"):
        full.add(record())


def _write_many(path: str, start: int, count: int) -> None:
    store = FeedbackStore(path)
    for n in range(start, start + count):
        store.add(record(f"question {n}"))


def test_concurrent_writers_threads_and_processes(store: FeedbackStore) -> None:
    store.add(record("the first"))  # the file exists: the processes below open it, as workers do
    threads = [threading.Thread(target=_write_many, args=(str(store.path), 1000 * t, 25)) for t in range(6)]
    shared = [threading.Thread(target=lambda t=t: [store.add(record(f"shared {t}-{n}")) for n in range(25)])
              for t in range(2)]
    processes = [multiprocessing.get_context("fork").Process(target=_write_many,
                                                               args=(str(store.path), 100_000 * (p + 1), 25))
                 for p in range(3)]
    for worker in [*processes, *threads, *shared]:
        worker.start()
    for worker in [*threads, *shared]:
        worker.join()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    everything = store.list(limit=None)
    assert len(everything) == store.count() == 1 + 6 * 25 + 2 * 25 + 3 * 25
    assert len({f.id for f in everything}) == len(everything)
    assert len({f.question for f in everything}) == len(everything)


# -- the chat's events --------------------------------------------------------------------------
def fake_answer(question: str = MISSILES, outcome: str = "answered") -> Answer:
    quote = "Macron announced a coalition to provide missiles."
    cited = Citation(1, "macron-1", "Macron Ukraine Ground Troops", "2024-02-27", "/srv/news/macron.txt", quote)
    return Answer(question=question, text=quote + " [1]", citations=[cited], abstained=outcome == "not_in_articles",
                  outcome=outcome)


def like(index: int, shown: str, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": [shown], "liked": liked})


def request(session: str = "s1", host: str = "203.0.113.9") -> SimpleNamespace:
    return SimpleNamespace(session_hash=session, client=SimpleNamespace(host=host), headers={})


def test_a_rating_stores_the_answer_as_given_and_a_note_follows(store: FeedbackStore) -> None:
    chat = ChatFeedback(store, face="widget", limiter=RateLimiter(100))
    history = [{"role": "user", "content": "What did Macron say?"}, {"role": "assistant", "content": "He said..."}]
    answer = fake_answer()
    chat.remember(request(), history, history, answer, "shown 1")
    rated, box, _, status = chat.rate(like(3, "shown 1", True), request())
    assert box["visible"] is False and "thumbs up is saved" in status
    [up] = store.list()
    assert (up.id, up.rating, up.question, up.face, up.outcome) == (rated, "up", MISSILES, "widget", "answered")
    assert up.citations[0].source == "macron.txt"  # the public source, never the server's path
    assert up.history == tuple(history) and len(up.as_of) == 10

    rated, box, _, status = chat.rate(like(3, "shown 1", False), request())  # the other thumb: same record
    assert rated == up.id and box["visible"] is True and "what was wrong" in status
    box, text, status = chat.note("  It quoted the wrong sentence.  ", rated, request())
    assert store.get(up.id).rating == "down" and store.get(up.id).note == "It quoted the wrong sentence."
    assert box["visible"] is False and text == "" and "note is saved" in status
    with pytest.raises(gr.Error, match="at most 2000"):
        chat.note("n" * 2001, rated, request())

    rated, box, _, status = chat.rate(like(3, "shown 1", ""), request())  # the same thumb again
    assert rated is None and store.count() == 0 and "taken back" in status
    with pytest.raises(gr.Error, match="taken back"):
        chat.note("too late", up.id, request())
    with pytest.raises(gr.Error, match="no longer be rated"):  # another session, or a forgotten answer
        chat.rate(like(3, "shown 1", True), request("s2"))
    with pytest.raises(gr.Error, match="no longer be rated"):  # an index no message has
        chat.rate(gr.LikeData(None, {"index": "3", "value": None, "liked": True}), request())
    assert GONE.startswith("This answer can no longer be rated")


def test_ratings_are_limited_per_client_address(store: FeedbackStore) -> None:
    chat = ChatFeedback(store, face="chat", limiter=RateLimiter(2, exempt=["127.0.0.1/32"]))
    for n in range(4):
        chat.remember(request(), [{"role": "user", "content": "q"}] * (2 * n), [], fake_answer(f"question {n}"),
                      f"shown {n}")
    chat.rate(like(1, "shown 0", True), request())
    chat.rate(like(3, "shown 1", True), request())
    with pytest.raises(gr.Error, match="Too much feedback from your address: try again in"):
        chat.rate(like(5, "shown 2", True), request())
    chat.rate(like(5, "shown 2", True), request(host="198.51.100.4"))  # other addresses are not held
    chat.rate(like(7, "shown 3", True), request(host="127.0.0.1"))  # nor the exempt ones
    assert store.count() == 4


# -- the admin route ----------------------------------------------------------------------------
def admin_client(assistant: Assistant, password: str | None) -> TestClient:
    auth = AdminAuth(password)
    app = FastAPI()
    app.include_router(build_feedback_router(assistant, auth))
    gated = RequestGate(app, auth=auth, admin_paths=(), body_limit=lambda path: 256 * 1024,
                        admin_read_paths=("/api/feedback",))
    return TestClient(gated)


def test_the_admin_route_needs_the_password(assistant: Assistant) -> None:
    from ui.feedback import feedback_store

    feedback_store(assistant).add(record(MISSILES, "down", note="wrong"))
    with admin_client(assistant, PASSWORD) as client:
        refused = client.get("/api/feedback")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["ok"] is False and "Authorization: Bearer" in refused.json()["error"]
        assert client.get("/api/feedback", headers={"Authorization": "Bearer nope"}).status_code == 401
        listed = client.get("/api/feedback?limit=5", headers={"Authorization": f"Bearer {PASSWORD}"})
        assert listed.status_code == 200
        body = listed.json()
        assert body["total"] == 1 and body["feedback"][0]["question"] == MISSILES
        assert body["feedback"][0]["note"] == "wrong" and body["feedback"][0]["rating"] == "down"
        assert client.get("/api/feedback?rating=up", headers={"Authorization": f"Bearer {PASSWORD}"}
                          ).json() == {"total": 0, "feedback": []}
    with admin_client(assistant, None) as client:  # no password configured: no administration
        disabled = client.get("/api/feedback", headers={"Authorization": f"Bearer {PASSWORD}"})
        assert disabled.status_code == 403 and "administration is disabled" in disabled.json()["error"]


def test_the_served_app_guards_the_route(sample_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.app import create_app

    monkeypatch.setenv("QA_ADMIN_PASSWORD", PASSWORD)
    transport = httpx.ASGITransport(app=create_app(sample_assistant))

    async def get(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/api/feedback", headers=headers)

    import anyio

    assert anyio.run(get, {}).status_code == 401
    assert anyio.run(get, {"Authorization": f"Bearer {PASSWORD}"}).json() == {"total": 0, "feedback": []}


# -- the export, read back by `qa eval` -------------------------------------------------------------
def test_articles_come_back_whole_from_the_index(sample_assistant: Assistant) -> None:
    [original] = load_file(SAMPLE_FILE).articles
    article = indexed_articles(sample_assistant.store)(original.id)
    assert article.text == original.text and article.title == original.title and article.date == original.date
    assert "/" not in article.source  # the public source
    assert indexed_articles(sample_assistant.store)("no-such-article") is None


def qa(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_export_is_a_natural_set_that_qa_eval_reads(sample_assistant: Assistant, tmp_path: Path) -> None:
    from ui.feedback import feedback_store

    store = feedback_store(sample_assistant)
    good = store.add(Feedback.from_answer(sample_assistant.ask(MISSILES), "up", as_of="2024-03-01"))
    peru = sample_assistant.ask(PERU)
    assert peru.outcome == "not_in_articles"
    store.add(Feedback.from_answer(peru, "up", as_of="2024-03-01"))  # rightly not answered
    troops = sample_assistant.ask("What did Macron say about ground troops?")
    store.add(Feedback.from_answer(troops, "down", note="he ruled nothing out", as_of="2024-03-01"))
    store.add(Feedback.from_answer(peru, "down", history=({"role": "user", "content": "hi"},)))
    follow = sample_assistant.ask("Who leads the coalition?")
    store.add(Feedback.from_answer(follow, "up"))
    store.add(Feedback.from_answer(follow, "down", note="not a leader"))  # readers disagree

    listed = json.loads(qa("feedback", "list", "--json", "--limit", "3"))
    assert len(listed) == 3 and listed[0]["note"] == "not a leader"
    assert "6 of 6 record(s)" in qa("feedback", "list")
    assert "3 of 3 record(s) rated down" in qa("feedback", "list", "--rating", "down")

    out = tmp_path / "from-readers"
    report = json.loads(qa("feedback", "export", str(out), "--json"))
    assert (report["questions"], report["answerable"], report["unanswerable"], report["review"]) == (2, 1, 1, 3)
    assert report["articles"] == 1 and report["missing_articles"] == []
    assert report["review_reasons"] == {REVIEW_DOWN_ANSWERED: 1, REVIEW_DOWN_ABSTAINED: 1, REVIEW_DISAGREE: 1}
    questions = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert [q["question"] for q in questions] == [MISSILES, PERU]
    assert questions[0]["answers"] == [good.citations[0].quote] and questions[0]["id"] == f"feedback-{good.id}"
    assert questions[1]["answers"] == [] and questions[0]["as_of"] == "2024-03-01"
    review = [json.loads(line) for line in (out / "review.jsonl").read_text().splitlines()]
    assert all(r["answers"] is None for r in review)
    assert {n for r in review for n in r["notes"]} == {"he ruled nothing out", "not a leader"}
    assert review[1]["history"] == [{"role": "user", "content": "hi"}]
    [article] = [json.loads(line) for line in (out / "articles.jsonl").read_text().splitlines()]
    assert article["title"] == "Macron Ukraine Ground Troops" and "path" not in article
    assert "review.jsonl" in (out / "README.md").read_text()

    # `qa eval --dataset OUT_DIR` reads it: the two questions, over the one article.
    printed = qa("eval", "--dataset", str(out))
    assert re.search(r"natural-from-readers: 2 questions, 1 articles, \d+ chunks", printed), printed
    metrics = json.loads(qa("eval", "--dataset", str(out), "--json"))
    assert metrics["answer_hit"] == 1.0  # the answer the reader liked is given again

    again = json.loads(qa("feedback", "export", str(out), "--json"))  # a previous export is overwritten
    assert again["questions"] == 2
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["feedback", "export", str(tmp_path / "busy")])
    assert result.exit_code == 2 and "holds other files (notes.txt)" in result.output


def test_feedback_cli_usage_errors() -> None:
    for args, message in ((["feedback", "show"], "unknown action 'show'"),
                          (["feedback", "export"], "needs the folder"),
                          (["feedback", "list", "--rating", "meh"], "--rating must be up or down")):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and message in result.output, result.output
