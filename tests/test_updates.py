"""A question about how things stand now quotes the newest report of the story
(`qa.answering.updates`): the words that ask it, and the real model, judge and verifier over
tests/data/updates, a theft reported on March 10 (a $20,000 reward) and again on March 24 (the
reward raised to $40,000)."""

from __future__ import annotations


import pytest

from qa.api import Assistant
from qa.answering.updates import asks_current_state
from tests.support import ROOT

STORY = ROOT / "tests" / "data" / "updates"


@pytest.mark.parametrize("question", [
    "What's the museum reward now?", "how many have been hospitalized so far", "latest estimate of the damage",
    "what is skylark currently offering", "has anyone been arrested yet", "how many flights a day this week",
    "whats the most recent snow total", "How many votes at this point?",
])
def test_words_that_ask_how_things_stand_now(question: str) -> None:
    assert asks_current_state(question)


@pytest.mark.parametrize("question", [
    # "still" asks about a plan as often as about the present: measured, it picked the wrong report
    "how many flights a day will still go to chicago", "What did Macron announce?", "Who knows the snow total?",
    "When was the reward first offered?",
])
def test_words_that_do_not(question: str) -> None:
    assert not asks_current_state(question)


@pytest.fixture
def story(assistant: Assistant) -> Assistant:
    report = assistant.ingest([STORY])
    assert report.count("indexed") == 2, report.to_dict()
    return assistant


def test_the_reward_now_is_the_raised_one_and_before_the_update_the_first(story: Assistant) -> None:
    now = story.ask("What is the reward for the stolen maps now?", as_of="2025-03-25")
    # The judge prefers the first report, which names the library and the reward; the verifier
    # rates the update 0.04 (it does not confirm it), so it is quoted as the closest answer.
    assert now.outcome != "not_in_articles" and "$40,000" in now.citations[0].quote
    assert now.citations[0].date == "2025-03-24"
    before = story.ask("What is the reward for the stolen maps now?", as_of="2025-03-12")
    # Only the first report existed then. The judge rates its lede ("Thieves broke into ...",
    # 0.41) just above the reward sentence (0.38) and the verifier does not confirm the lede:
    # "uncertain", quoting both, from the first report.
    assert before.outcome != "not_in_articles" and "$20,000" in before.text
    assert {c.date for c in before.citations} == {"2025-03-10"}
