"""Conversations without a language model: follow-ups retrieve their article in a corpus of
ten, and long histories are trimmed to the configured budget, oldest turns first."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from qa.answering.history import Exchange, parse_history

CORPUS = Path(__file__).resolve().parent / "data" / "natural" / "tune" / "articles"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("conversation-index")
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([CORPUS])
    return assistant


def _talk(assistant: Assistant, questions: list[str], history: list[dict[str, str]] | None = None) -> list:
    history = list(history or [])
    answers = []
    for question in questions:
        answer = assistant.ask(question, history)
        answers.append(answer)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
    return answers


@pytest.mark.parametrize("questions, title, holds", [
    (["What did Macron say about ground troops?", "What did he announce about missiles?"],
     "Macron Ukraine Ground Troops", "long-range missiles"),
    (["What did Optiva unveil?", "When does it go on sale?"],
     "Optiva unveils Lumen smart glasses with live translation", "Sept. 12"),
    (["What happened at the Ashford Rovers derby?", "Who scored?"],
     "Holt header gives Ashford Rovers late derby win over Kingsmere", "Jamie Holt"),
    (["Why did the Harbor City bus drivers walk out?", "How many routes were cancelled in the second week?"],
     "Harbor City bus strike enters second week as transit authority sweetens offer", "49 of its 61 routes"),
])
def test_a_follow_up_retrieves_its_article_among_ten(corpus: Assistant, questions: list[str], title: str,
                                                     holds: str) -> None:
    follow_up = _talk(corpus, questions)[-1]
    assert follow_up.outcome == "answered"
    assert follow_up.citations[0].title == title and holds in follow_up.text


def test_the_follow_up_alone_would_not_find_it(corpus: Assistant) -> None:
    """The control: without the conversation, "Who scored?" has nothing to go on."""
    alone = corpus.ask("Who scored?")
    assert alone.outcome != "answered" or "Jamie Holt" not in alone.text


def test_a_long_history_is_trimmed_and_the_last_turns_still_count(corpus: Assistant) -> None:
    chatter = []
    for n in range(200):  # ~60k characters about another subject, oldest first
        chatter += [{"role": "user", "content": f"Tell me about the octopus species number {n} found in the deep sea?"},
                    {"role": "assistant", "content": "A deep-sea octopus was described. " * 6}]
    (answer,) = _talk(corpus, ["What did he announce about missiles?"],
                      chatter + [{"role": "user", "content": "What did Macron say about ground troops?"},
                                 {"role": "assistant", "content": "Not that."}])
    assert answer.citations[0].title == "Macron Ukraine Ground Troops" and "missiles" in answer.text


def test_the_history_is_trimmed_to_the_newest_turns_within_the_budget() -> None:
    history = [{"role": "user", "content": "a" * 10}, {"role": "assistant", "content": "b" * 10},
               {"role": "user", "content": "c" * 10}, {"role": "assistant", "content": "d" * 10}]
    both = [Exchange("a" * 10, "b" * 10), Exchange("c" * 10, "d" * 10)]
    assert parse_history(history, 25) == both[1:]
    assert parse_history(history, 40) == both
    assert parse_history(history, 1000) == both
    assert parse_history(history) == both  # no budget: all of it
    assert parse_history(history, 0) == []
    assert parse_history(None, 100) == []
    # A budget that drops a question drops its answer with it: an answer to no question is no exchange.
    assert parse_history(history, 15) == []


def test_the_newest_turn_longer_than_the_budget_is_cut() -> None:
    history = [{"role": "user", "content": "old"}, {"role": "user", "content": "x" * 50}]
    assert parse_history(history, 20) == [Exchange("x" * 20)]


def test_pairs_are_counted_whole() -> None:
    pairs = [("first question", "first answer"), ("second question", "second answer")]
    assert parse_history(pairs, 30) == [Exchange("second question", "second answer")]
    assert parse_history(pairs, 10) == [Exchange("second que")]


def test_parsed_exchanges_pass_through() -> None:
    history = [("first question", "first answer"), {"role": "user", "content": "second question"},
               {"role": "assistant", "content": "second answer"}, {"role": "user", "content": "third?"}]
    parsed = parse_history(history, 50)
    assert parsed == [Exchange("second question", "second answer"), Exchange("third?")]
    assert parse_history(parsed, 50) == parsed and parse_history(parsed) == parsed
