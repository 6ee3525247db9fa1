"""Generated answers (answer.mode: llm) against a scripted OpenAI-compatible server on loopback.

The real embedding model, Chroma, langchain-openai's ChatOpenAI and HTTP; only the model's
words are scripted, per request, so each test knows what the "model" wrote and checks what the
grounding check, the fallbacks and the follow-up rewriting made of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.scripted_llm import Reply, ScriptedLLM, is_rewrite, last_user_message
from index.embedding.embed import Embedder
from index.models import Hit
from qa.answering.scoring import ScoredChunk
from qa.api import Assistant
from qa.config import Settings
from qa.llm.generate import grounded_answer
from qa.llm.grounding import CheckedSentence, GroundedText
from qa.models import Answer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "natural" / "tune" / "articles"  # the sample article and 9 others
MACRON = "2024-02-27-macron-ukraine-ground-troops"


def source_number(request: dict[str, Any], phrase: str) -> int:
    """The number the prompt gave the first source whose passage holds `phrase`."""
    for match in re.finditer(r"^\[(\d+)\] .*?(?=^\[\d+\] |\Z)", last_user_message(request), re.M | re.S):
        if phrase.lower() in match.group(0).lower():
            return int(match.group(1))
    raise AssertionError(f"no source holds {phrase!r}")


class Scripted:
    """The server's script, replaced by each test."""

    def __init__(self) -> None:
        self.answer = lambda request: Reply("The sources do not say.")
        self.rewrite = lambda request: Reply("")

    def __call__(self, request: dict[str, Any]) -> Reply:
        return self.rewrite(request) if is_rewrite(request) else self.answer(request)


@pytest.fixture(scope="module")
def script() -> Scripted:
    return Scripted()


@pytest.fixture(scope="module")
def server(script: Scripted) -> Iterator[ScriptedLLM]:
    with ScriptedLLM(script) as llm:
        yield llm


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    data = tmp_path_factory.mktemp("llm-index")
    Assistant(_settings(data, "http://127.0.0.1:9/v1"), embedder=embedder).ingest([CORPUS])
    return data


def _settings(data: Path, base_url: str, **llm: Any) -> Settings:
    settings = Settings()
    settings.data.dir = data
    settings.answer.mode = "llm"
    settings.llm.base_url = base_url
    settings.llm.model = "scripted"
    settings.llm.timeout_s = 1.0
    settings.llm.retries = 1
    for key, value in llm.items():
        setattr(settings.llm, key, value)
    return settings


@pytest.fixture
def make_assistant(index_dir: Path, server: ScriptedLLM, script: Scripted, embedder: Embedder):  # noqa: ANN201
    server.requests.clear()
    script.__init__()

    def make(**llm: Any) -> Assistant:
        return Assistant(_settings(index_dir, server.base_url, **llm), embedder=embedder)

    return make


@pytest.fixture
def llm_assistant(make_assistant) -> Assistant:  # noqa: ANN001
    return make_assistant()


MISSILES = "Macron announced a new coalition to provide medium- and long-range missiles to Ukraine [{n}]."


def test_a_faithful_cited_answer_passes_with_its_citations(llm_assistant: Assistant, script: Scripted,
                                                           server: ScriptedLLM) -> None:
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    answer = llm_assistant.ask("What kind of missiles will Ukraine get?")
    assert answer.mode == "llm" and answer.outcome == "answered" and not answer.abstained
    assert answer.text == MISSILES.format(n=1)  # renumbered: the first citation is [1]
    assert not answer.unsupported and answer.notice is None
    (citation,) = answer.citations
    assert citation.article_id.startswith(MACRON) and "long-range missiles" in citation.quote
    assert citation.passage[citation.quote_start:citation.quote_end] == citation.quote
    # The prompt numbered the sources with titles and dates and asked for [n] citations.
    (request,) = server.requests
    assert "[1] " in last_user_message(request) and "(2024-" in last_user_message(request)
    assert "[1]" in request["messages"][0]["content"] and "do not say" in request["messages"][0]["content"]


def test_an_invented_sentence_is_removed_and_recorded(llm_assistant: Assistant, script: Scripted) -> None:
    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=n) + f" The coalition will also deliver 300 fighter jets by June [{n}].")

    script.answer = reply
    answer = llm_assistant.ask("What kind of missiles will Ukraine get?")
    assert answer.outcome == "answered" and "fighter jets" not in answer.text
    (removed,) = answer.unsupported
    assert removed.removed and "fighter jets" in removed.text and "300" in removed.reason
    assert answer.notice == "1 sentence the sources do not support was removed."
    assert answer.to_dict()["unsupported"][0]["reason"] == removed.reason


def test_a_citation_to_a_missing_source_is_dropped(llm_assistant: Assistant, script: Scripted) -> None:
    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=f"{n}, 17") + " Ukraine thanked its allies [42].")

    script.answer = reply
    answer = llm_assistant.ask("What kind of missiles will Ukraine get?")
    assert answer.text == MISSILES.format(n=1)
    assert [c.n for c in answer.citations] == [1]
    (removed,) = answer.unsupported
    assert removed.reason == "cites no existing source (42)"


def test_an_answer_with_nothing_supported_becomes_an_abstention(llm_assistant: Assistant, script: Scripted) -> None:
    script.answer = lambda request: Reply("The Eiffel Tower was painted green in 2023 [1]. Paris cheered [2].")
    answer = llm_assistant.ask("What colour is the Eiffel Tower?")
    assert answer.abstained and answer.outcome == "not_in_articles" and answer.mode == "llm"
    assert answer.text.startswith("Not in the articles")
    assert answer.citations and len(answer.citations) <= 3  # the closest sources
    assert [u.text for u in answer.unsupported][0].startswith("The Eiffel Tower was painted green")


def test_the_model_saying_the_sources_do_not_answer_is_an_abstention(llm_assistant: Assistant,
                                                                     script: Scripted) -> None:
    script.answer = lambda request: Reply("The sources do not say.")
    answer = llm_assistant.ask("Who won the 2022 World Cup?")
    assert answer.abstained and answer.outcome == "not_in_articles" and not answer.unsupported


def test_mark_keeps_unsupported_sentences_flagged(make_assistant, script: Scripted) -> None:  # noqa: ANN001
    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=n) + f" The missiles will arrive within 48 hours [{n}].")

    script.answer = reply
    answer = make_assistant(unsupported="mark").ask("What kind of missiles will Ukraine get?")
    assert answer.outcome == "answered"
    assert answer.text.startswith(MISSILES.format(n=1))
    assert "The missiles will arrive within 48 hours [1]. [unsupported: 48 is not in the cited source]" in answer.text
    assert [u.removed for u in answer.unsupported] == [False]
    assert answer.notice == "1 sentence the sources do not support was marked."


def _chunk(n: int) -> ScoredChunk:
    text = f"Passage {n} says something. It says more."
    hit = Hit(f"article-{n}", f"Title {n}", "test", None, None, text, 0, len(text), 0, 0.5)
    return ScoredChunk(hit, [], 0.0, 0.0, 0.0, True, score=0.5)


def test_removed_sentences_name_sources_by_the_numbers_the_reader_sees() -> None:
    """The check numbers sources as the prompt did; the answer renumbers them in order of first
    use, and the reasons of what was removed follow (a source the answer does not list by title)."""
    sources = [_chunk(n) for n in (1, 2, 3)]
    kept = CheckedSentence("Passage three says something [3].", (3,), True, 0.9, 1.0, support=((3, 0, 25),))
    negated = CheckedSentence("Passage three says nothing [3].", (3,), False, 0.8, 1.0,
                              "negation not in [3] ('nothing')", reasons=("negation not in [3] ('nothing')",))
    elsewhere = CheckedSentence("Passage two says 26 things [2].", (2,), False, 0.8, 1.0,
                                "figure 26 not in the supporting sentence [2]")
    quoted = CheckedSentence("Passage three disagrees [3, 2].", (3, 2), False, 0.8, 1.0,
                             "contradicted by [3, 2]: 'Passage [2] says something.'")
    checked = GroundedText("Passage three says something [3].", [kept, negated, elsewhere, quoted])
    answer = grounded_answer("What do the passages say?", sources, checked, mark=False, sources_on_abstain=3)
    assert answer.text == "Passage three says something [1]." and [c.n for c in answer.citations] == [1]
    assert [u.reason for u in answer.unsupported] == [
        "negation not in [1] ('nothing')",
        "figure 26 not in the supporting sentence an unlisted source (“Title 2”)",
        "contradicted by [1] and an unlisted source (“Title 2”): 'Passage [2] says something.'"]
    # Nothing kept: the answer lists the closest sources in their own order; the reasons keep their numbers.
    abstained = grounded_answer("What do the passages say?", sources, GroundedText("", [negated, elsewhere]),
                                mark=False, sources_on_abstain=2)
    assert abstained.abstained and [u.reason for u in abstained.unsupported] == [
        "negation not in an unlisted source (“Title 3”) ('nothing')",
        "figure 26 not in the supporting sentence [2]"]


def test_a_reason_marked_in_the_answer_is_renumbered_with_it(make_assistant, script: Scripted) -> None:  # noqa: ANN001
    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=n) + f" Macron did not announce a new coalition [{n}].")

    script.answer = reply
    answer = make_assistant(unsupported="mark", verifier=False).ask("What kind of missiles will Ukraine get?")
    (marked,) = answer.unsupported
    assert "[1]" in marked.reason and f"[unsupported: {marked.reason}]" in answer.text


@pytest.mark.parametrize("failure, reason", [
    (Reply(kind="hang", delay_s=3.0), "did not answer in time"),
    (Reply(kind="garbage"), "the language model failed"),
    (Reply(kind="error"), "the language model failed"),
])
def test_a_failing_model_yields_the_extractive_answer_with_a_notice(
        llm_assistant: Assistant, script: Scripted, server: ScriptedLLM, failure: Reply, reason: str) -> None:
    script.answer = lambda request: failure
    started = time.perf_counter()
    answer = llm_assistant.ask("What kind of missiles will Ukraine get?")
    elapsed = time.perf_counter() - started
    assert answer.mode == "extractive" and answer.outcome == "answered"
    assert "long-range missiles" in answer.text and answer.citations[0].article_id.startswith(MACRON)
    assert answer.notice.startswith("No generated answer:") and reason in answer.notice
    assert "quotes the articles instead" in answer.notice
    assert len(server.requests) == 2  # one retry
    assert elapsed < 2 * 1.0 + 2.5  # two attempts of the 1 s timeout, then the extractive answer


def test_a_follow_up_is_rewritten_by_the_model_and_retrieves_its_article(
        llm_assistant: Assistant, script: Scripted, server: ScriptedLLM) -> None:
    script.rewrite = lambda request: Reply("Standalone question: What did Emmanuel Macron announce about missiles?")
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    history = [{"role": "user", "content": "What did Macron say about ground troops?"},
               {"role": "assistant", "content": "Macron said ground troops could not be ruled out [1]."}]
    answer = llm_assistant.ask("What did he announce about missiles?", history)
    rewrite, generate = server.requests
    assert is_rewrite(rewrite) and "User: What did Macron say about ground troops?" in last_user_message(rewrite)
    assert "Question: What did Emmanuel Macron announce about missiles?" in last_user_message(generate)
    assert answer.citations[0].article_id.startswith(MACRON) and answer.outcome == "answered"
    assert answer.notice.startswith("Read as: “What did Emmanuel Macron announce about missiles?”")


def test_a_standalone_question_is_not_sent_for_rewriting(llm_assistant: Assistant, script: Scripted,
                                                         server: ScriptedLLM) -> None:
    history = [{"role": "user", "content": "What did Macron say about ground troops?"}]
    llm_assistant.ask("How many bus routes were cancelled in Harbor City?", history)
    assert [is_rewrite(r) for r in server.requests] == [False]


def test_an_unusable_rewrite_falls_back_to_the_rule(llm_assistant: Assistant, script: Scripted,
                                                    server: ScriptedLLM) -> None:
    script.rewrite = lambda request: Reply("x" * 3000)  # not a question: ignored
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    history = [{"role": "user", "content": "What did Macron say about ground troops?"}]
    answer = llm_assistant.ask("What did he announce about missiles?", history)
    assert answer.outcome == "answered" and answer.citations[0].article_id.startswith(MACRON)
    assert "Question: What did he announce about missiles?" in last_user_message(server.requests[-1])


def test_tokens_stream_then_the_checked_answer_replaces_the_draft(llm_assistant: Assistant,
                                                                  script: Scripted) -> None:
    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=n) + f" It invented 12 things [{n}].", token_delay_s=0.01)

    script.answer = reply
    events = list(llm_assistant.stream("What kind of missiles will Ukraine get?"))
    drafts, final = events[:-1], events[-1]
    assert len(drafts) > 10 and all(isinstance(d, str) for d in drafts)
    assert all(b.startswith(a) for a, b in zip(drafts, drafts[1:]))  # each draft extends the last
    assert "invented 12 things" in drafts[-1]
    assert isinstance(final, Answer) and "invented" not in final.text and final.unsupported
    assert final.timings_ms["first_token"] < final.timings_ms["total"]


def test_the_chain_invokes_batches_and_streams(llm_assistant: Assistant, script: Scripted) -> None:
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    chain = llm_assistant.as_runnable()
    single = chain.invoke("What kind of missiles will Ukraine get?")
    batch = chain.batch(["What kind of missiles will Ukraine get?", {"question": "Which missiles?"}])
    streamed = list(chain.stream({"question": "What kind of missiles will Ukraine get?"}))
    assert single.text == batch[0].text == streamed[-1].text == MISSILES.format(n=1)
    assert all(isinstance(a, Answer) and a.mode == "llm" for a in [single, *batch, *streamed])


def test_the_http_api_reports_the_mode_and_what_was_removed(llm_assistant: Assistant, script: Scripted) -> None:
    from ui.api import build_router
    from fastapi import FastAPI

    def reply(request: dict[str, Any]) -> Reply:
        n = source_number(request, "long-range missiles")
        return Reply(MISSILES.format(n=n) + f" About 900 missiles were sent [{n}].")

    script.answer = reply
    app = FastAPI()
    app.include_router(build_router(llm_assistant))
    body = TestClient(app).post("/api/ask", json={"question": "What kind of missiles will Ukraine get?"}).json()
    assert body["mode"] == "llm" and body["outcome"] == "answered"
    assert body["unsupported"] == [{"text": "About 900 missiles were sent.", "reason": "900 is not in the cited source",
                                    "removed": True}]


def test_a_long_history_reaches_the_model_trimmed_to_the_budget(llm_assistant: Assistant, script: Scripted,
                                                                server: ScriptedLLM) -> None:
    script.rewrite = lambda request: Reply("What did Emmanuel Macron announce about missiles?")
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    old = [{"role": "user", "content": f"Old question number {n} about octopuses?"} for n in range(2000)]
    recent = [{"role": "user", "content": "What did Macron say about ground troops?"},
              {"role": "assistant", "content": "Ground troops could not be ruled out [1]."}]
    answer = llm_assistant.ask("What did he announce about missiles?", old + recent)
    rewrite = server.requests[0]
    conversation = last_user_message(rewrite)
    budget = llm_assistant.settings.answer.history_chars
    assert "What did Macron say about ground troops?" in conversation
    assert "Old question number 0 " not in conversation and "Old question number 1999" in conversation
    labels = conversation.count("\nUser: ") + conversation.count("\nAssistant: ")
    assert len(conversation) < budget + 12 * labels + 200  # the budget, role labels, the prompt's own words
    assert answer.citations[0].article_id.startswith(MACRON)


def test_the_http_api_streams_drafts_then_the_answer_as_ndjson(llm_assistant: Assistant, script: Scripted) -> None:
    import json

    from fastapi import FastAPI

    from ui.api import build_router

    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    app = FastAPI()
    app.include_router(build_router(llm_assistant))
    client = TestClient(app)
    with client.stream("POST", "/api/ask/stream", json={"question": "What kind of missiles will Ukraine get?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in r.iter_lines() if line]
    drafts, final = events[:-1], events[-1]
    assert len(drafts) > 5 and all(e["type"] == "draft" for e in drafts)
    assert drafts[-1]["text"] == MISSILES.format(n=source_number_in(drafts[-1]["text"]))
    assert final["type"] == "answer" and final["mode"] == "llm" and final["answer"] == MISSILES.format(n=1)
    # A bad question fails before the stream starts, so the app's handler answers 400.
    from index.errors import EmptyQuestionError

    with pytest.raises(EmptyQuestionError):
        client.post("/api/ask/stream", json={"question": " "})


def source_number_in(text: str) -> int:
    return int(re.search(r"\[(\d+)\]", text).group(1))


@pytest.mark.parametrize("reply, expected", [
    ("Standalone question: What did Macron announce about missiles?", "What did Macron announce about missiles?"),
    ('"What did Macron announce about missiles?"\nIt asks about Macron.', "What did Macron announce about missiles?"),
    ("Macron announced a coalition for missiles.", None),  # an answer, not a question
    ("Rewrite the user's last question so that it can be understood?", None),  # the prompt echoed
    ("", None),
    ("?", None),
])
def test_only_a_plausible_rewrite_is_used(reply: str, expected: str | None) -> None:
    from qa.llm.generate import standalone_question

    assert standalone_question(reply, "What did he announce about missiles?", 2000) == expected


def test_the_ollama_provider_answers_through_the_same_chain(index_dir: Path, server: ScriptedLLM, script: Scripted,
                                                           embedder: Embedder) -> None:
    script.answer = lambda request: Reply(MISSILES.format(n=source_number(request, "long-range missiles")))
    settings = _settings(index_dir, server.ollama_url, provider="ollama")
    answer = Assistant(settings, embedder=embedder).ask("What kind of missiles will Ukraine get?")
    assert answer.mode == "llm" and answer.text == MISSILES.format(n=1)
    assert server.requests[-1]["model"] == "scripted" and server.requests[-1]["messages"][0]["role"] == "system"


def test_an_unreachable_model_says_so_and_answers_extractively(index_dir: Path, embedder: Embedder) -> None:
    from tests.support import free_port

    closed = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    answer = Assistant(_settings(index_dir, closed), embedder=embedder).ask("What kind of missiles will Ukraine get?")
    assert answer.mode == "extractive" and "long-range missiles" in answer.text
    assert "could not be reached" in answer.notice


def test_llamacpp_without_its_extra_is_a_clear_configuration_error(index_dir: Path, embedder: Embedder,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from index.errors import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install '\.\[llamacpp\]'"):
        Assistant(_settings(index_dir, "http://127.0.0.1:9/v1", provider="llamacpp"), embedder=embedder)
