"""Reports that disagree, shown: "Sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)".

Articles written for it (tests/data/conflicts): an evolving death toll (19 on Nov 6, 20 on Nov 7),
a corrected name (the driver first named Daniel Ortiz, then Marco Silva), a budget two outlets
write differently ($1.2 billion, 1.2 billion dollars), and wire copies of one story. Asked
through the real model, store and answer path; extractive and, against the scripted chat model,
generated; printed by the CLI and shown in the chat (tests/test_conflicts_browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.scripted_llm import Reply, ScriptedLLM, last_user_message
from index.embedding.embed import Embedder
from qa.answering.answer_type import Span
from qa.answering.conflicts import ConflictFinder, conflict_line, kind_spans_in, role_span
from qa.answering.values import read_value, same
from qa.api import Assistant
from qa.config import Settings
from qa.models import Answer, ConflictValue
from tests.support import SAMPLE_DIR
from ui.render import render_answer

DATA = Path(__file__).resolve().parent / "data" / "conflicts"
TOLL = "How many people died in the Dunmore warehouse fire?"
DRIVER = "Who was the driver of the van in the Elm Road crash?"
BUDGET = "How much is Riverton's budget for next year?"
WHY = "Why did the Dunmore warehouse fire spread so quickly?"


def _settings(data: Path, **answer: Any) -> Settings:
    settings = Settings()
    settings.data.dir = data
    for key, value in answer.items():
        setattr(settings.answer, key, value)
    return settings


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    data = tmp_path_factory.mktemp("conflicts")
    Assistant(_settings(data), embedder=embedder).ingest([DATA / "articles", SAMPLE_DIR])
    return data


@pytest.fixture(scope="module")
def conflicts_assistant(index_dir: Path, embedder: Embedder) -> Assistant:
    return Assistant(_settings(index_dir), embedder=embedder)


def cited(answer: Answer, n: int) -> Any:
    return next(c for c in answer.citations if c.n == n)


# -- extractive answers ----------------------------------------------------------------
def test_an_evolving_toll_says_sources_differ_newest_first(conflicts_assistant: Assistant) -> None:
    answer = conflicts_assistant.ask(TOLL)
    assert answer.outcome == "answered"
    (conflict,) = answer.conflicts
    assert conflict.kind == "count"
    newer, older = conflict.values
    assert (newer.value, newer.date, older.value, older.date) == ("20", "2024-11-07", "19", "2024-11-06")
    assert conflict.text == f"Sources differ: 20 [{newer.n}] (Nov 7), 19 [{older.n}] (Nov 6)"
    # Both sources are cited, and each citation quotes the sentence that states its value.
    assert "rose to 20" in cited(answer, newer.n).quote and cited(answer, newer.n).date == "2024-11-07"
    assert "At least 19 people died" in cited(answer, older.n).quote
    assert len({c.n for c in answer.citations}) == len(answer.citations)
    # The one JSON shape carries it.
    data = answer.to_dict()
    assert data["conflicts"] == [{"kind": "count", "text": conflict.text, "values": [
        {"value": "20", "n": newer.n, "date": "2024-11-07"}, {"value": "19", "n": older.n, "date": "2024-11-06"}]}]


def test_a_corrected_name_is_a_person_conflict(conflicts_assistant: Assistant) -> None:
    answer = conflicts_assistant.ask(DRIVER)
    (conflict,) = answer.conflicts
    assert conflict.kind == "person"
    assert [(v.value, v.date) for v in conflict.values] == [("Marco Silva", "2024-03-05"),
                                                            ("Daniel Ortiz", "2024-03-04")]
    for value in conflict.values:
        assert value.value in cited(answer, value.n).quote


def test_sources_that_agree_in_other_words_do_not_conflict(conflicts_assistant: Assistant) -> None:
    answer = conflicts_assistant.ask(BUDGET)
    assert answer.outcome == "answered" and "1.2 billion" in answer.text
    # Both budget articles answer ("$1.2 billion", "1.2 billion dollars"): one value, no conflict.
    ranking = conflicts_assistant.rank(BUDGET)
    decision = conflicts_assistant.decider.decide(ranking.query, ranking.chunks[:5])
    near = ConflictFinder().near(decision)
    assert {s.hit.date for s in near} == {"2024-05-13", "2024-05-14"}
    assert answer.conflicts == []


def test_a_why_question_never_conflicts(conflicts_assistant: Assistant) -> None:
    answer = conflicts_assistant.ask(WHY)
    assert answer.outcome != "not_in_articles"
    assert conflicts_assistant.rank(WHY).query.kind == "reason" and answer.conflicts == []


def test_conflicts_off_in_the_configuration(index_dir: Path, embedder: Embedder) -> None:
    quiet = Assistant(_settings(index_dir, conflicts=False), embedder=embedder)
    answer = quiet.ask(TOLL)
    assert answer.outcome == "answered" and answer.conflicts == [] and answer.to_dict()["conflicts"] == []


def test_wire_copies_of_one_story_count_once(tmp_path: Path, embedder: Embedder) -> None:
    """Two outlets' copies of the Nov 6 story (19) and a later copy of it updated to 20: one
    story (the store's story clusters), so no conflict."""
    assistant = Assistant(_settings(tmp_path / "copies"), embedder=embedder)
    assistant.ingest([DATA / "copies", SAMPLE_DIR])
    ids = {a.id for a in assistant.articles() if "dunmore" in a.id}
    assert len(ids) == 3 and len({assistant.store.stories.story_of(i) for i in ids}) == 1
    assert assistant.pipeline.conflicts.story_of == assistant.store.stories.story_of
    answer = assistant.ask(TOLL)
    assert answer.outcome == "answered" and answer.conflicts == []


def test_values_of_one_story_count_once(conflicts_assistant: Assistant) -> None:
    """The same two toll reports, read as copies of one story (as `story_of` would cluster an
    updated wire copy): one voice, no conflict."""
    ranking = conflicts_assistant.rank(TOLL)
    decision = conflicts_assistant.decider.decide(ranking.query, ranking.chunks[:5])
    assert ConflictFinder().find(ranking.query, decision) is not None
    assert ConflictFinder(lambda article_id: "one story").find(ranking.query, decision) is None


# -- how values are read and compared --------------------------------------------------
@pytest.mark.parametrize(("kind", "a", "b"), [
    ("count", "19", "nineteen"),
    ("count", "21", "twenty-one"),
    ("count", "1,200", "1200"),
    ("money", "$1.2 billion", "1.2 billion dollars"),
    ("money", "$4bn", "$4,000 million"),
    ("money", "50 cents", "$0.50"),
    ("percent", "5%", "five percent"),
    ("duration", "two weeks", "14 days"),
    ("time", "3 p.m.", "15:00"),
    ("date", "Nov. 6", "November 6, 2024"),
    ("date", "6 November 2024", "2024-11-06"),
    ("date", "yesterday", "Nov 6"),  # in an article of Nov 7
    ("person", "Mark Rutte", "Rutte"),
    ("person", "M. Rutte", "Mark Rutte"),
    ("person", "Rutte's", "Mark Rutte"),
    ("place", "New York", "New York City"),
])
def test_the_same_value_written_differently(kind: str, a: str, b: str) -> None:
    first, second = read_value(kind, a, published="2024-11-07"), read_value(kind, b, published="2024-11-07")
    assert first is not None and second is not None and same(first, second)


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("count", "19", "20"),
    ("money", "$1.2 billion", "€1.2 billion"),
    ("money", "$1.2 billion", "$1.2 million"),
    ("date", "Nov 6", "Nov 7"),
    ("date", "2023", "2024"),
    ("person", "Mark Rutte", "Jane Rutte"),
    ("person", "Daniel Ortiz", "Marco Silva"),
    ("place", "Paris", "Lyon"),
    ("count", "1,000", "1,050"),
])
def test_different_values(kind: str, a: str, b: str) -> None:
    first, second = read_value(kind, a), read_value(kind, b)
    assert first is not None and second is not None and not same(first, second)


def test_an_approximate_figure_agrees_within_a_tenth() -> None:
    about = read_value("count", "1,000", before="killing about ")
    assert about is not None and about.approximate
    assert same(about, read_value("count", "1,050")) and not same(about, read_value("count", "1,200"))


@pytest.mark.parametrize(("kind", "text"), [("count", "dozens"), ("count", "hundreds"), ("date", "Tuesday"),
                                            ("date", "the 1990s"), ("date", "next week"), ("date", "6th"),
                                            ("date", "yesterday"), ("person", "Riverton City Council")])
def test_vague_values_state_nothing(kind: str, text: str) -> None:
    assert read_value(kind, text) is None  # "yesterday" without the article's date is no date


def test_the_value_in_the_asked_role() -> None:
    text = "At least 19 people died and 40 were injured when the bridge collapsed."
    spans = [Span("count", m.start(), m.end(), m.group(0)) for m in re.finditer(r"\d+", text)]
    assert role_span("How many people died when the bridge collapsed?", text, spans).text == "19"
    assert role_span("How many were injured?", text, spans).text == "40"
    assert role_span("How many?", text, spans) is None  # nothing says which: left out


def test_whole_dates() -> None:
    assert [s.text for s in kind_spans_in("It opened on 6 November 2024 and closed on Dec. 1, 2024.", "date")] \
        == ["6 November 2024", "Dec. 1, 2024"]


def test_the_line_names_the_year_when_dates_span_years() -> None:
    values = [ConflictValue("3", 2, "2024-01-02"), ConflictValue("2", 1, "2023-12-30"), ConflictValue("4", 3, None)]
    assert conflict_line(values) == "Sources differ: 3 [2] (Jan 2, 2024), 2 [1] (Dec 30, 2023), 4 [3]"


# -- faces: render, CLI ------------------------------------------------------------------
def test_the_chat_shows_sources_differ_above_the_sources(conflicts_assistant: Assistant) -> None:
    answer = conflicts_assistant.ask(TOLL)
    markdown = render_answer(answer)
    line = f"**{answer.conflicts[0].text}**"
    assert line in markdown and markdown.index(line) < markdown.index("**Sources**")
    assert "Sources differ" in render_answer(answer, collapsed=True)  # the widget's cards


def test_the_cli_prints_sources_differ(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli.serve import app

    monkeypatch.setenv("QA_DATA__DIR", str(index_dir))
    result = CliRunner().invoke(app, ["ask", TOLL], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"Sources differ: 20 \[\d\] \(Nov 7\), 19 \[\d\] \(Nov 6\)", result.output)
    data = CliRunner().invoke(app, ["ask", "--json", TOLL], catch_exceptions=False).output
    assert '"conflicts": [' in data and '"kind": "count"' in data


# -- generated answers (the scripted chat model) -------------------------------------------
@pytest.fixture(scope="module")
def script() -> dict[str, Any]:
    return {"reply": lambda request: Reply("The sources do not say.")}


@pytest.fixture(scope="module")
def server(script: dict[str, Any]) -> Iterator[ScriptedLLM]:
    with ScriptedLLM(lambda request: script["reply"](request)) as llm:
        yield llm


@pytest.fixture
def llm_assistant(index_dir: Path, server: ScriptedLLM, embedder: Embedder) -> Assistant:
    server.requests.clear()
    settings = _settings(index_dir, mode="llm")
    settings.llm.base_url, settings.llm.model, settings.llm.timeout_s = server.base_url, "scripted", 2.0
    return Assistant(settings, embedder=embedder)


def source_of(request: dict[str, Any], phrase: str) -> int:
    for match in re.finditer(r"^\[(\d+)\] .*?(?=^\[\d+\] |\Z)", last_user_message(request).split("\n\nQuestion:")[0],
                             re.M | re.S):
        if phrase in match.group(0):
            return int(match.group(1))
    raise AssertionError(f"no source holds {phrase!r}")


def test_the_prompt_says_the_sources_differ(llm_assistant: Assistant, script: dict[str, Any],
                                            server: ScriptedLLM) -> None:
    def reply(request: dict[str, Any]) -> Reply:
        older, newer = source_of(request, "At least 19"), source_of(request, "rose to 20")
        return Reply(f"The death toll rose to 20 on Wednesday [{newer}]. On Tuesday night at least 19 people died "
                     f"in the warehouse fire [{older}].")

    script["reply"] = reply
    answer = llm_assistant.ask(TOLL)
    (request,) = server.requests
    message = last_user_message(request)
    older, newer = source_of(request, "At least 19"), source_of(request, "rose to 20")
    question_part = message.split("Question:")[1]
    assert (f"The sources differ on the count asked for: [{newer}] (2024-11-07) says 20; "
            f"[{older}] (2024-11-06) says 19.") in question_part
    assert "Say that the sources differ" in question_part
    assert answer.mode == "llm" and answer.outcome == "answered"
    (conflict,) = answer.conflicts
    assert [v.value for v in conflict.values] == ["20", "19"]
    # The answer cites both passages, and the conflict points at those same citations.
    assert [cited(answer, v.n).date for v in conflict.values] == ["2024-11-07", "2024-11-06"]
    assert len(answer.citations) == 2 and not answer.unsupported and answer.notice is None


def test_an_answer_giving_one_value_only_is_flagged(llm_assistant: Assistant, script: dict[str, Any]) -> None:
    script["reply"] = lambda request: Reply(
        f"At least 19 people died in the fire [{source_of(request, 'At least 19')}].")
    answer = llm_assistant.ask(TOLL)
    assert answer.outcome == "answered" and "19" in answer.text and "20" not in answer.text
    (conflict,) = answer.conflicts
    assert answer.notice is not None and "only one of the values the sources state (19)" in answer.notice
    assert conflict.text[1:] in answer.notice  # "sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)"
    # The other source is cited although the model did not cite it.
    newer = conflict.values[0]
    assert newer.value == "20" and "rose to 20" in cited(answer, newer.n).quote


def test_no_note_when_the_sources_agree(llm_assistant: Assistant, script: dict[str, Any],
                                        server: ScriptedLLM) -> None:
    script["reply"] = lambda request: Reply("The sources do not say.")
    answer = llm_assistant.ask(BUDGET)
    (request,) = server.requests
    assert "sources differ" not in last_user_message(request).lower() and answer.conflicts == []
