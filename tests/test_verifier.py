"""The shipped verifier: its recorded outputs, and the answers it decides on the sample article."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from qa.answering.verifier import VERIFIER_PATH, load_verifier
from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from tests.support import SAMPLE_DIR

RUTTE = ("While some leaders, such as Dutch Prime Minister Mark Rutte, have dismissed the idea of sending ground "
         "troops, Macron emphasized the importance of remaining open-minded and adaptable in response to changing "
         "circumstances.")
COALITION = ("Highlighting the urgency of the situation, Macron announced the establishment of a new coalition "
             "dedicated to providing medium- and long-range missiles to Ukraine.")
PARIS = ("Macron's remarks came following an international conference in Paris aimed at supporting Ukraine, where "
         "he emphasized the need for strategic flexibility in addressing the evolving situation.")

# (first, second) -> P(yes), recorded from the shipped int8 weights (`make train-verifier`).
RECORDED = {
    ("question: Who rejected sending ground troops?", RUTTE): 0.424,
    ("question: Which coalition did Macron announce?", COALITION): 0.644,
    ("question: Which coalition did Macron announce?", PARIS): 0.037,
    ("question: Who rejected sending ground troops? answer: Mark Rutte", RUTTE): 0.812,
    ("question: Who rejected sending ground troops? answer: Macron", RUTTE): 0.771,
    ("claim: Mark Rutte rejected the idea of sending ground troops.", RUTTE): 0.178,
    ("claim: Mark Rutte supported the idea of sending ground troops.", RUTTE): 0.672,
}


@pytest.fixture(scope="module")
def verifier():  # noqa: ANN201
    loaded = load_verifier()
    assert loaded is not None, f"{VERIFIER_PATH} is missing: run `make train-verifier`"
    return loaded


def test_shipped_weights_are_small_and_loaded_once(verifier) -> None:  # noqa: ANN001
    assert VERIFIER_PATH.stat().st_size <= 30 * 1024 * 1024
    assert load_verifier() is verifier


def test_recorded_outputs(verifier) -> None:  # noqa: ANN001
    pairs = list(RECORDED)
    got = verifier.probabilities(pairs)
    assert got.shape == (len(pairs), 3)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert np.array_equal(got, verifier.probabilities(pairs)), "one pair per call: the same inputs, the same outputs"
    recorded = np.asarray([RECORDED[p] for p in pairs], dtype=float)
    assert np.allclose(got[:, 0], recorded, atol=0.01), dict(zip(pairs, np.round(got[:, 0], 3).tolist()))


def test_what_it_tells_apart(verifier) -> None:  # noqa: ANN001
    assert verifier.answers("Which coalition did Macron announce?", [COALITION, PARIS]).argmax() == 0
    assert verifier.answers("Where was the conference held?", [PARIS, COALITION]).argmax() == 0
    claims = verifier.supports([(PARIS, "The conference was held in Paris."),
                                (PARIS, "The conference was not held in Paris.")])
    assert claims.shape == (2, 3) and claims[0, 0] > claims[1, 0]


def test_missing_or_broken_file_means_no_verifier(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert load_verifier(tmp_path / "absent.onnx") is None
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    assert load_verifier(broken) is None
    assert "not found" in caplog.text and "not used" in caplog.text


# -- the acceptance questions on the bundled sample article -----------------------------

@pytest.fixture
def verified(settings: Settings, embedder: Embedder) -> Assistant:
    """The sample article, answered with the verifier on (`answer.verifier: true`)."""
    settings.answer.verifier = True
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.decider.verifier is not None
    assistant.ingest([SAMPLE_DIR])
    return assistant


def test_setting_words_do_not_outweigh_what_is_asked(verified: Assistant) -> None:
    answer = verified.ask("Which coalition did Macron announce at the Paris conference?")
    # quoted (the verifier is not sure enough to call it answered: 0.25), never the Paris sentence
    assert answer.outcome in ("answered", "uncertain")
    assert "new coalition dedicated to providing medium- and long-range missiles" in answer.citations[0].quote


@pytest.mark.parametrize("question", ["Who was against sending ground troops?", "Who rejected ground troops?",
                                      "Which leader dismissed the idea, and what does he lead?",
                                      "Who is Mark Rutte?"])
def test_who_questions_never_name_macron(sample_assistant: Assistant, verified: Assistant, question: str) -> None:
    for assistant in (sample_assistant, verified):  # the role rule holds with and without the verifier
        answer = assistant.ask(question)
        assert answer.short_answer in (None, "Mark Rutte"), answer.text
        assert not answer.text.startswith("Macron")


def test_where_the_conference_was_held(verified: Assistant) -> None:
    answer = verified.ask("Where was the conference held?")
    assert answer.outcome == "answered" and answer.short_answer == "Paris", answer.text


@pytest.mark.parametrize("question", ["Which football club plays in Paris?", "What is the capital of Australia?",
                                      "How many goals did the Dutch team score?"])
def test_off_topic_question_sharing_a_word_is_not_quoted(verified: Assistant, question: str) -> None:
    answer = verified.ask(question)
    assert answer.outcome == "not_in_articles", answer.text


def test_verify_top_bounds_what_the_verifier_reads(verified: Assistant, settings: Settings, embedder: Embedder) -> None:
    trace = verified.trace("Which coalition did Macron announce?")
    decider = verified.decider
    full = decider.decide(trace.query, trace.chunks)
    assert full.outcome == "answered" and full.verified and len(full.ranked) > 2
    decider.verify_top = 2
    try:
        bounded = decider.decide(trace.query, trace.chunks)
    finally:
        decider.verify_top = 12
    assert len(bounded.ranked) == 2
    # the two read are the judge's best two, so the coalition sentence is still among them
    assert "new coalition" in bounded.chosen[0].text
    settings.answer.verify_top = 3
    assert Assistant(settings, embedder=embedder).decider.verify_top == 3


ZOO = Path(__file__).parent / "data" / "natural" / "train-b" / "articles" / "2025-05-06-brookhaven-zoo-okapi-calf.txt"


@pytest.mark.parametrize("verifier_on", [False, True])
def test_a_word_shared_with_an_off_topic_question_is_not_quoted(settings: Settings, embedder: Embedder,
                                                                verifier_on: bool) -> None:
    """The zoo article says "weather permitting"; Lisbon is in no passage: not in the articles, by
    default (the judge) and with the verifier. The article's own questions are still on its subject (quoted, not refused)."""
    settings.answer.verifier = verifier_on
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([ZOO, SAMPLE_DIR])
    for question in ("will the weather be nice in lisbon on saturday", "is it going to rain in lisbon this weekend"):
        answer = assistant.ask(question)
        assert answer.outcome == "not_in_articles", (question, answer.outcome, answer.text)
    for question in ("how heavy was the okapi calf when it was born?", "when can people go and see the okapi calf?"):
        answer = assistant.ask(question)
        assert answer.outcome != "not_in_articles", answer.text


def test_confirm_at_turns_an_unconfirmed_answer_into_uncertain(settings: Settings, embedder: Embedder) -> None:
    """With `answer.confirm_at`, the verifier reads the judge's chosen sentence (one call): the
    article does not say who pays for the missiles, the judge answers with the coalition sentence
    anyway (probability 0.39), the verifier does not confirm it: "uncertain", the same quote.
    An answer it confirms stays answered."""
    settings.answer.verifier, settings.answer.confirm_at = False, None
    judge_only = Assistant(settings, embedder=embedder)
    judge_only.ingest([SAMPLE_DIR])
    confirming = Assistant(settings.model_copy(update={"answer": settings.answer.model_copy(
        update={"confirm_at": 0.2})}), embedder=embedder)
    assert judge_only.decider.verifier is None and confirming.decider.verifier is not None
    before, after = (a.ask("Who will pay for the missiles?") for a in (judge_only, confirming))
    assert (before.outcome, after.outcome) == ("answered", "uncertain")
    assert [c.quote for c in after.citations] == [c.quote for c in before.citations]
    assert after.text.startswith("The closest the articles come:")
    kept = confirming.ask("What did Macron announce?")
    assert kept.outcome == "answered" and "new coalition" in kept.citations[0].quote
    # a follow-up is left to the judge: the verifier reads no conversation
    first = "What did Macron say about ground troops?"
    history = [(first, judge_only.ask(first).text)]
    assert confirming.ask("what else did he announce?", history).outcome == \
        judge_only.ask("what else did he announce?", history).outcome == "answered"
