"""A story's timeline (`Assistant.timeline`, `qa timeline`, `POST /api/timeline`, the Timeline tab)
over tests/data/timeline: a bus strike reported on four days (Nov 4-7, 2024), one report copied by
a wire outlet the same day and reprinted by a regional paper the next, an undated explainer, and
an unrelated article from the same city.

The real embedding model, Chroma, story index (wire copies), CLI, ASGI app and Chromium; in llm
mode, langchain-openai against a scripted OpenAI-compatible server whose words each test sets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bench.scripted_llm import Reply, ScriptedLLM, last_user_message
from index.embedding.embed import Embedder
from index.errors import EmptyQuestionError, QAError
from qa.api import Assistant
from qa.config import Settings
from qa.timeline import Timeline, TimelineBuilder
from qa.timeline.period import read_period
from tests.support import ARTIFACTS, ROOT, running_server
from ui.app import create_app
from ui.cli.serve import app as cli

STORY = ROOT / "tests" / "data" / "timeline"
TOPIC = "the Harbor City bus strike"
GAZETTE = "https://harbor-gazette.example/2024/"
WIRE = "https://coastal-wire.example/news/harbor-city-schools-bus-strike"  # the same day, word for word
REPRINT = "https://valley-times.example/region/bus-strike-closes-schools"  # the next day
LIBRARY = GAZETTE + "11/05/library-reading-room"
DAYS = ["2024-11-04", "2024-11-05", "2024-11-06", "2024-11-07"]
# What each day's article reports first: the day's development.
LEDES = {"2024-11-04": "walked off the job on Monday", "2024-11-05": "closed 14 public schools",
         "2024-11-06": "state mediator", "2024-11-07": "reached a tentative agreement"}


def _settings(data: Path, **changes: Any) -> Settings:
    settings = Settings()
    settings.data.dir = data
    for section, values in changes.items():
        for key, value in values.items():
            setattr(getattr(settings, section), key, value)
    return settings


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The story's index, built once; every test here only reads it."""
    data = tmp_path_factory.mktemp("timeline") / "qa-data"
    report = Assistant(_settings(data), embedder=embedder).ingest([STORY])
    assert report.count("indexed") == len(list(STORY.iterdir())), report.to_dict()
    return data


@pytest.fixture(scope="module")
def story(index_dir: Path, embedder: Embedder) -> Assistant:
    return Assistant(_settings(index_dir), embedder=embedder)


def dates(timeline: Timeline) -> list[str]:
    return [e.date for e in timeline.entries]


def cited_ids(timeline: Timeline) -> set[str]:
    return {c.article_id for c in timeline.sources} | {copy.article_id for c in timeline.sources for copy in c.also_in}


# -- what a timeline holds -------------------------------------------------------------------------
def test_each_day_gives_one_cited_line_in_date_order(story: Assistant) -> None:
    timeline = story.timeline(TOPIC)
    assert dates(timeline) == DAYS and timeline.mode == "extractive" and timeline.summary is None
    for n, entry in enumerate(timeline.entries, start=1):
        assert LEDES[entry.date] in entry.sentence
        citation = entry.citation
        # Cited with its own article's date, quoted verbatim from the passage it stands in.
        assert citation.n == n and citation.date == entry.date and citation.quote == entry.sentence
        assert citation.passage[citation.quote_start:citation.quote_end].strip() == entry.sentence
        assert citation.article_id.startswith(GAZETTE + entry.date[5:].replace("-", "/"))
    assert LIBRARY not in cited_ids(timeline)  # the same city, another story
    assert timeline.notice is None and set(timeline.timings_ms) == {"retrieve", "select", "total"}


def test_copies_of_one_story_give_one_line_with_the_other_outlets(story: Assistant) -> None:
    timeline = story.timeline(TOPIC)
    schools = [e for e in timeline.entries if "closed 14 public schools" in e.sentence]
    assert len(schools) == 1
    (entry,) = schools
    assert entry.date == "2024-11-05" and entry.citation.article_id == GAZETTE + "11/05/schools-close-bus-strike"
    assert [(c.article_id, c.date) for c in entry.citation.also_in] == [(WIRE, "2024-11-05"), (REPRINT, "2024-11-06")]
    assert not {WIRE, REPRINT} & {e.citation.article_id for e in timeline.entries}


def test_without_the_story_index_a_same_day_copy_still_collapses(story: Assistant) -> None:
    """`story_of` left at its default (every article its own story): the same-day wire copy is
    recognized by its repeated lede; the next day's reprint repeats it and adds nothing on topic."""
    builder = TimelineBuilder(story.timelines.rank, floor=story.timelines.floor)
    timeline = builder.build(TOPIC)
    assert dates(timeline) == DAYS
    (entry,) = [e for e in timeline.entries if e.date == "2024-11-05"]
    assert [c.article_id for c in entry.citation.also_in] == [WIRE]
    assert REPRINT not in {e.citation.article_id for e in timeline.entries}


def test_undated_articles_are_listed_apart_numbered_after_the_dated(story: Assistant) -> None:
    timeline = story.timeline(TOPIC)
    (undated,) = timeline.undated
    assert undated.date is None and undated.n == 5 and "affects 40 of the city's 52 bus routes" in undated.quote
    assert undated.article_id not in {e.citation.article_id for e in timeline.entries}
    assert timeline.to_dict()["undated"] == [5]


def test_since_and_until_bound_the_lines(story: Assistant) -> None:
    timeline = story.timeline(TOPIC, since="2024-11-05", until="2024-11-06")
    assert dates(timeline) == ["2024-11-05", "2024-11-06"]
    assert timeline.undated == [] and timeline.period is None  # an undated article has no place in a period
    assert [c.article_id for e in timeline.entries for c in e.citation.also_in] == [WIRE, REPRINT]


def test_a_reprint_of_a_story_first_published_before_the_period_is_no_development(story: Assistant) -> None:
    timeline = story.timeline(TOPIC, since="2024-11-06")
    assert dates(timeline) == ["2024-11-06", "2024-11-07"] and "state mediator" in timeline.entries[0].sentence
    assert REPRINT not in cited_ids(timeline)


def test_since_monday_in_the_question_sets_the_period(story: Assistant) -> None:
    timeline = story.timeline("What has happened with the Harbor City bus strike since Monday?", as_of="2024-11-06")
    assert (timeline.topic, timeline.since, timeline.until, timeline.period) == \
        (TOPIC, "2024-11-04", "2024-11-06", "since Monday")
    assert dates(timeline) == DAYS[:3]  # the deal of Thursday Nov 7 came after the as-of date


def test_the_dates_of_the_request_win_over_the_question(story: Assistant) -> None:
    timeline = story.timeline("What has happened with the bus strike since Monday?", since="2024-11-07",
                              as_of="2024-11-06")
    assert (timeline.since, timeline.until, timeline.period) == ("2024-11-07", None, None)
    assert dates(timeline) == ["2024-11-07"]


def test_a_limit_keeps_the_most_relevant_lines_in_date_order(story: Assistant) -> None:
    full = story.timeline(TOPIC)
    best = sorted(full.entries, key=lambda e: -e.citation.score)[:2]
    timeline = story.timeline(TOPIC, limit=2)
    assert dates(timeline) == sorted(e.date for e in best)
    assert [e.citation.n for e in timeline.entries] == [1, 2]
    assert timeline.notice == "The 2 most relevant of 4 developments are shown."


def test_another_topic_and_an_absent_one(story: Assistant) -> None:
    library = story.timeline("the new reading room at the library")
    assert [e.citation.article_id for e in library.entries] == [LIBRARY]
    absent = story.timeline("the mayoral election in Springfield", since="2024-11-01")
    assert absent.entries == [] and absent.undated == []
    assert absent.notice == ("No indexed article published since 2024-11-01 is about “the mayoral election in "
                             "Springfield”.")


@pytest.mark.parametrize("question, as_of, expected", [
    ("What has happened with the bus strike since Monday?", "2024-11-06",
     ("the bus strike", "2024-11-04", "2024-11-06", "since Monday")),
    ("What's the latest on the strike since last week?", "2024-11-06",
     ("the strike", "2024-10-24", "2024-11-06", "since last week")),
    ("How has the bus strike developed since Monday?", "2024-11-04",  # a Monday: that day itself
     ("the bus strike", "2024-11-04", "2024-11-04", "since Monday")),
    ("Timeline of the bus strike since 4 November 2024", "2024-12-01",
     ("the bus strike", "2024-11-04", None, "since 4 November 2024")),
    ("the bus strike this week", "2024-11-06", ("the bus strike", "2024-10-31", "2024-11-06", "this week")),
    ("any news on the strike before Friday?", "2024-11-06", ("the strike", None, "2024-10-31", "before Friday")),
    ("the bus strike", "2024-11-06", ("the bus strike", None, None, None)),
    ("What has happened since Monday?", "2024-11-06", ("", "2024-11-04", "2024-11-06", "since Monday")),
])
def test_reading_the_topic_and_the_period(question: str, as_of: str, expected: tuple) -> None:
    import datetime as dt

    period = read_period(question, dt.date.fromisoformat(as_of))
    assert (period.topic, period.since, period.until, period.phrase) == expected


@pytest.mark.parametrize("kwargs, error, message", [
    ({"topic": "   "}, EmptyQuestionError, "the question is empty"),
    ({"topic": "What has happened since Monday?"}, EmptyQuestionError,
     "no story named in 'What has happened since Monday?'"),
    ({"topic": TOPIC, "since": "last tuesday"}, QAError, "since 'last tuesday' is not a date; use YYYY-MM-DD"),
    ({"topic": TOPIC, "since": "2024-11-07", "until": "2024-11-01"}, QAError,
     "the period is empty: since 2024-11-07 is after until 2024-11-01"),
    ({"topic": TOPIC, "limit": 0}, QAError, "limit must be a whole number from 1 to 100, not 0"),
    ({"topic": "x" * 2001}, QAError, "the question is 2001 characters long; the limit is 2000"),
])
def test_bad_input_is_refused_clearly(story: Assistant, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        story.timeline(**kwargs)


# -- the command line ------------------------------------------------------------------------------
def test_qa_timeline_prints_dated_lines_and_sources(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA__DIR", str(index_dir))
    result = CliRunner().invoke(cli, ["timeline", "What has happened with the Harbor City bus strike since Monday?",
                                      "--as-of", "2024-11-06"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Timeline: the Harbor City bus strike (since Monday: 2024-11-04 to 2024-11-06)"
    dated = [line for line in lines if re.match(r"\d{4}-\d{2}-\d{2}  ", line)]
    assert [line[:10] for line in dated] == DAYS[:3]
    assert all(line.endswith(f"[{n}]") for n, line in enumerate(dated, start=1))
    assert "[2] Schools close as Harbor City bus strike enters second day (2024-11-05) - " \
           "https://harbor-gazette.example/2024/11/05/schools-close-bus-strike" in lines
    assert f"    also in: Harbor City shuts 14 schools on second day of bus strike (2024-11-05) - {WIRE}" in lines


def test_qa_timeline_json_and_a_bad_date(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA__DIR", str(index_dir))
    runner = CliRunner()
    result = runner.invoke(cli, ["timeline", TOPIC, "--json", "--since", "2024-11-06"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [e["date"] for e in body["entries"]] == ["2024-11-06", "2024-11-07"]
    assert body["entries"][0]["citation"]["n"] == 1 and body["sources"][1]["n"] == 2
    bad = runner.invoke(cli, ["timeline", TOPIC, "--until", "someday"])
    assert bad.exit_code == 2 and "until 'someday' is not a date" in bad.output


# -- the HTTP API ----------------------------------------------------------------------------------
ENTRY_KEYS = {"date", "sentence", "citation"}
BODY_KEYS = {"question", "topic", "since", "until", "period", "entries", "sources", "undated", "summary",
             "unsupported", "mode", "notice", "timings_ms"}


def app_client(index_dir: Path, embedder: Embedder, rate_limit: int) -> TestClient:
    """The app over the story; `rate_limit` questions a minute from any address (none exempt)."""
    settings = _settings(index_dir, server={"rate_limit": rate_limit, "rate_limit_exempt": []})
    return TestClient(create_app(Assistant(settings, embedder=embedder)))


@pytest.fixture(scope="module")
def unlimited(index_dir: Path, embedder: Embedder) -> Iterator[TestClient]:
    with app_client(index_dir, embedder, 0) as client:
        yield client


def test_post_timeline_gives_the_cli_json(index_dir: Path, embedder: Embedder) -> None:
    with app_client(index_dir, embedder, 4) as http:
        _post_timeline_then_the_limit(http)


def _post_timeline_then_the_limit(http: TestClient) -> None:
    r = http.post("/api/timeline", json={"topic": "What has happened with the Harbor City bus strike since Monday?",
                                          "as_of": "2024-11-07", "limit": 10})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == BODY_KEYS and body["mode"] == "extractive" and body["period"] == "since Monday"
    assert [e["date"] for e in body["entries"]] == DAYS
    assert all(set(e) == ENTRY_KEYS and e["citation"]["quote"] == e["sentence"] for e in body["entries"])
    assert body["sources"][1]["also_in"][0] == {"article_id": WIRE, "title": "Harbor City shuts 14 schools on second "
                                                "day of bus strike", "date": "2024-11-05", "source": WIRE}
    assert body["sources"][0]["url"] == body["sources"][0]["source"] == GAZETTE + "11/04/bus-strike-begins"
    # Then the limit: /api/timeline counts like /api/ask, per address, with no password asked.
    assert http.post("/api/ask", json={"question": "How many schools closed?"}).status_code == 200
    statuses = [http.post("/api/timeline", json={"topic": TOPIC}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("payload, status, fragment", [
    ({"topic": ""}, 400, "the question is empty"),
    ({"topic": "What has happened since Monday?"}, 400, "no story named"),
    ({"topic": TOPIC, "since": "2024-13-45"}, 400, "is not a date"),
    ({"topic": TOPIC, "limit": 1000}, 422, "limit"),
    ({"topic": TOPIC, "history": []}, 422, "history"),
    ({}, 422, "topic"),
])
def test_bad_timeline_requests_get_json_errors(unlimited: TestClient, payload: dict, status: int,
                                               fragment: str) -> None:
    r = unlimited.post("/api/timeline", json=payload)
    assert r.status_code == status and r.json()["ok"] is False and fragment in r.json()["error"]
    assert "Traceback" not in r.text


def test_an_oversized_timeline_body_is_refused(unlimited: TestClient) -> None:
    big = unlimited.post("/api/timeline", content=b'{"topic": "' + b"a" * 300_000 + b'"}',
                         headers={"content-type": "application/json"})
    assert big.status_code == 413 and "limit" in big.json()["error"]
    assert "/api/timeline" in unlimited.get("/openapi.json").json()["paths"]


# -- a language model's summary (answer.mode: llm) -------------------------------------------------
def source_number(request: dict[str, Any], phrase: str) -> int:
    """The [n] the prompt gave the excerpt that holds `phrase`."""
    for match in re.finditer(r"^\[(\d+)\] .*?(?=^\[\d+\] |\Z)", last_user_message(request), re.M | re.S):
        if phrase.lower() in match.group(0).lower():
            return int(match.group(1))
    raise AssertionError(f"no excerpt holds {phrase!r}")


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[ScriptedLLM, list]]:
    replies: list = [lambda request: Reply("")]
    with ScriptedLLM(lambda request: replies[0](request)) as llm:
        yield llm, replies


def llm_story(index_dir: Path, embedder: Embedder, llm: ScriptedLLM) -> Assistant:
    return Assistant(_settings(index_dir, answer={"mode": "llm"},
                               llm={"base_url": llm.base_url, "model": "scripted", "timeout_s": 1.0, "retries": 0}),
                     embedder=embedder)


def test_the_summary_keeps_what_the_lines_support_and_removes_the_rest(index_dir: Path, embedder: Embedder,
                                                                      scripted: tuple) -> None:
    llm, replies = scripted
    walkout = "About 1,200 bus drivers in Harbor City walked off the job on Monday [{n}]."
    invented = "The city then paid every driver a bonus of 5,000 dollars [{n}]."
    replies[0] = lambda request: Reply(" ".join([walkout.format(n=source_number(request, "walked off the job")),
                                                 invented.format(n=source_number(request, "tentative agreement"))]))
    llm.requests.clear()
    timeline = llm_story(index_dir, embedder, llm).timeline(TOPIC)
    assert timeline.mode == "llm" and dates(timeline) == DAYS  # the lines are the extractive ones
    assert timeline.summary == walkout.format(n=1)
    (removed,) = timeline.unsupported
    assert removed.text == "The city then paid every driver a bonus of 5,000 dollars." and removed.removed
    assert "5,000" in removed.reason
    assert timeline.notice == "1 summary sentence the sources do not support was removed."
    # The model saw the timeline's lines, numbered as the reader sees them, and nothing else.
    (request,) = llm.requests
    prompt = last_user_message(request)
    assert "[1] Harbor City bus drivers walk off the job (2024-11-04)\nAbout 1,200 bus drivers" in prompt
    assert "Light rail ridership" not in prompt and set(timeline.timings_ms) >= {"summary", "total"}


def test_a_failing_model_leaves_the_timeline_without_a_summary(index_dir: Path, embedder: Embedder,
                                                               scripted: tuple) -> None:
    llm, replies = scripted
    replies[0] = lambda request: Reply(kind="error")
    timeline = llm_story(index_dir, embedder, llm).timeline(TOPIC)
    assert dates(timeline) == DAYS and timeline.summary is None
    assert timeline.notice.startswith("No summary: ")


# -- the Timeline tab, in Chromium -----------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_the_timeline_tab_shows_the_dated_lines(browser: object, tmp_path: Path) -> None:
    with running_server(tmp_path / "served" / "data", STORY) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.locator("#qa-question textarea").wait_for(timeout=60_000)
        page.get_by_role("tab", name="Timeline").click()
        page.locator("#qa-timeline-topic textarea, #qa-timeline-topic input").first.fill(TOPIC)
        page.locator("#qa-timeline-since textarea, #qa-timeline-since input").first.fill("2024-11-05")
        page.locator("#qa-timeline-show").click()
        items = page.locator("#qa-timeline li")
        items.first.wait_for(timeout=60_000)
        texts = [t.strip() for t in items.all_inner_texts()]
        assert [t[:10] for t in texts] == DAYS[1:], texts
        assert all(LEDES[t[:10]] in t and t.endswith(f"[{n}]") for n, t in enumerate(texts, start=1)), texts
        shown = page.locator("#qa-timeline").inner_text()
        assert "Published since 2024-11-05" in shown and "Also published by" in shown
        assert "reading room" not in shown
        link = page.locator("#qa-timeline a", has_text="Harbor City shuts 14 schools")
        assert link.get_attribute("href") == WIRE
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "face-timeline-1280.png"))
        context.close()
