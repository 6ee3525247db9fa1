"""`store.backend: milvus` against a real `milvus-lite server` each module starts itself
(tests.milvus_support): the same answers as Chroma mode, keyword and date-filtered search in the
engine, idempotent and resumable writes, a second process reading what the first wrote, and an
engine that goes away and comes back."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from index.embedding.embed import Embedder
from index.errors import EmbeddingMismatchError, StoreUnavailableError
from index.models import Article
from index.storage.milvus import MilvusArticleStore, MilvusEngine
from index.storage.milvus.schema import create_collection
from qa.api import Assistant
from qa.config import Settings, load_settings
from qa.store_backends import milvus_collection
from tests.conftest import ROOT, SAMPLE_DIR
from tests.milvus_support import milvus_server, milvus_settings  # noqa: F401 - fixtures

README_QUESTIONS = ["What did Macron announce about missiles?", "Which leader rejected ground troops?",
                    "What kind of missiles will Ukraine get?", "Where was the conference held?",
                    "Who dismissed ground troops?"]


def _article(n: int, text: str, date: str | None) -> Article:
    return Article(id=f"a{n}", title=f"Report {n}", text=text, source=f"report-{n}.txt", date=date)


DATED = [
    _article(1, "The harbour authority approved the new ferry terminal in Kellbrook on Monday. "
                "Construction starts in spring and will cost 40 million euros.", "2024-01-10"),
    _article(2, "A second ferry terminal was proposed for the northern shore. The council will vote on the "
                "ferry plan next month after a public hearing.", "2024-03-05"),
    _article(3, "Ferry services were suspended because of a storm that closed the harbour for two days.", None),
]


@pytest.fixture
def milvus_assistant(milvus_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(milvus_settings, embedder=embedder)


def _answer_key(assistant: Assistant, question: str, **dates: str) -> tuple[str, str, list[tuple[str, str]]]:
    answer = assistant.ask(question, **dates)
    return answer.outcome, answer.text, [(c.article_id, c.quote) for c in answer.citations]


def test_backend_and_uri_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_STORE__BACKEND", "milvus")
    monkeypatch.setenv("QA_STORE__URI", "http://10.0.0.7:19531")
    store = load_settings().store
    assert (store.backend, store.uri, store.token_env) == ("milvus", "http://10.0.0.7:19531", "QA_MILVUS_TOKEN")
    assert milvus_collection("test-3f.x") == "test_3f_x" and milvus_collection("9lives") == "_9lives"


@pytest.mark.milvus
def test_answers_and_citations_are_chroma_modes(milvus_assistant: Assistant, assistant: Assistant) -> None:
    assert isinstance(milvus_assistant.store, MilvusArticleStore)
    for each in (assistant, milvus_assistant):
        assert each.ingest([SAMPLE_DIR]).count("indexed") == 1
    assert milvus_assistant.store.count() == assistant.store.count() > 0
    assert [a.id for a in milvus_assistant.articles()] == [a.id for a in assistant.articles()]
    for question in README_QUESTIONS:
        assert _answer_key(milvus_assistant, question) == _answer_key(assistant, question), question
    dated = {"since": "2024-02-01", "until": "2024-02-29"}
    assert _answer_key(milvus_assistant, "What did Macron announce?", **dated) == \
        _answer_key(assistant, "What did Macron announce?", **dated)
    # The stored sentence evidence is the same numbers as Chroma mode's sentence store.
    hits = milvus_assistant.store.search(milvus_assistant.embedder.embed_query("missiles"), k=3)
    for (vectors, codes), (chroma_vectors, chroma_codes) in zip(
            milvus_assistant.store.sentence_evidence(hits), assistant.store.sentence_evidence(hits), strict=True):
        np.testing.assert_array_equal(vectors, chroma_vectors)
        np.testing.assert_array_equal(codes, chroma_codes)


@pytest.mark.milvus
def test_keyword_search_finds_a_rare_name_and_stems_words(milvus_assistant: Assistant) -> None:
    milvus_assistant.ingest([SAMPLE_DIR])
    store = milvus_assistant.store
    every = store.stored_chunks()
    with_name = {i for i, document, _ in every if "Rutte" in document}
    assert 0 < len(with_name) < len(every)
    assert {i for i, _ in store.keyword_search("Rutte", k=10)} == with_name
    # "dismissing" finds "dismissed": the project's stems, which milvus-lite's analyzer would not cut.
    dismissed = {i for i, document, _ in every if "dismissed" in document}
    assert dismissed and {i for i, _ in store.keyword_search("dismissing", k=10)} == dismissed
    assert store.keyword_search("zyxwvut", k=10) == [] and store.keyword_search("the of", k=10) == []


@pytest.mark.milvus
def test_date_filtered_searches_run_in_the_engine(milvus_assistant: Assistant) -> None:
    milvus_assistant.ingest_articles(DATED)
    store = milvus_assistant.store
    vector = np.asarray(milvus_assistant.embedder.embed_query("ferry terminal"), dtype=np.float32)
    assert {h.article_id for h in store.search_dated(vector, 10, None, None)} == {"a1", "a2", "a3"}
    assert {h.article_id for h in store.search_dated(vector, 10, "2024-02-01", None)} == {"a2"}
    assert {h.article_id for h in store.search_dated(vector, 10, None, "2024-02-01")} == {"a1"}
    assert store.search_dated(vector, 10, "2025-01-01", None) == []
    # Undated chunks pass no bound, as in Chroma mode.
    def keyword_articles(since: str | None = None, until: str | None = None) -> set[str]:
        ids = [i for i, _ in store.keyword_search("ferry", 10, since, until)]
        return {h.article_id for h in store.hits(ids, vector)}

    assert keyword_articles() == {"a1", "a2", "a3"}
    assert keyword_articles("2024-01-01") == {"a1", "a2"} and keyword_articles(None, "2024-02-01") == {"a1"}
    assert store.date_share("2024-03-01", "2024-03-31") == pytest.approx(1 / 3)
    assert store.date_share(None, None) == 1.0


@pytest.mark.milvus
def test_writes_are_idempotent_and_resume_without_duplicates(milvus_assistant: Assistant) -> None:
    store = milvus_assistant.store
    added, _ = milvus_assistant.ingest_articles(DATED)
    first = sorted(i for i, _, _ in store.stored_chunks())
    assert added == len(first) == store.count() > 0
    assert milvus_assistant.ingest_articles(DATED) == (0, 0)
    assert store.delete_article("a2") > 0
    assert "a2" not in {m["article_id"] for _, _, m in store.stored_chunks()}
    assert milvus_assistant.ingest_articles(DATED)[0] > 0
    assert sorted(i for i, _, _ in store.stored_chunks()) == first
    # A write that reached the engine but not the record manager (a crash in between): the
    # rows are there, their records are not. Ingesting again upserts them: no duplicates.
    keys = store.records.list_keys(group_ids=["a2"])
    store.records.delete_keys(keys)
    assert milvus_assistant.ingest_articles(DATED)[0] == len(keys)
    assert sorted(i for i, _, _ in store.stored_chunks()) == first
    assert store.count() == len(first)


@pytest.mark.milvus
def test_wire_copies_are_one_story_in_milvus_mode_too(milvus_assistant: Assistant, milvus_settings: Settings,
                                                      embedder: Embedder) -> None:
    from tests.test_wire_copies import COST, HERALD, POST, TRIBUNE

    milvus_assistant.ingest_articles([TRIBUNE, POST, HERALD])
    stories = milvus_assistant.store.stories
    assert stories.story_of(TRIBUNE.id) == stories.story_of(HERALD.id) == HERALD.id
    top = [h.article_id for h in milvus_assistant.trace(COST).hits[:5]]
    assert len({HERALD.id, TRIBUNE.id} & set(top)) == 1 and POST.id in top, top
    cited = [c for c in milvus_assistant.ask(COST).citations if c.article_id in (HERALD.id, TRIBUNE.id)]
    assert len(cited) == 1 and len(cited[0].also_in) == 1
    # Another process on this data dir (a second replica on the host) reads the same stories.
    other = Assistant(milvus_settings, embedder=embedder)
    assert other.store.stories.copies(HERALD.id) == [TRIBUNE.id]
    assert milvus_assistant.store.delete_article(TRIBUNE.id) > 0
    assert other.store.stories.copies(HERALD.id) == []


@pytest.mark.milvus
def test_another_process_answers_from_what_this_one_ingested(milvus_assistant: Assistant, tmp_path: Path) -> None:
    milvus_assistant.ingest([SAMPLE_DIR])
    question = README_QUESTIONS[0]
    here = milvus_assistant.ask(question)
    # Another data dir: the other process finds everything in the engine, nothing local.
    import os

    env = {**os.environ, "QA_DATA__DIR": str(tmp_path / "elsewhere")}
    run = subprocess.run([str(Path(sys.executable).with_name("qa")), "ask", "--json", question], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    there = json.loads(run.stdout)
    assert there["answer"] == here.text
    assert [c["quote"] for c in there["citations"]] == [c.quote for c in here.citations]


@pytest.mark.milvus
def test_an_unreachable_engine_raises_one_error_and_the_store_recovers(milvus_assistant: Assistant,
                                                                         milvus_server) -> None:  # noqa: ANN001
    milvus_assistant.ingest([SAMPLE_DIR])
    store = milvus_assistant.store
    vector = np.asarray(milvus_assistant.embedder.embed_query("missiles"), dtype=np.float32)
    before = _answer_key(milvus_assistant, README_QUESTIONS[0])
    hits = store.search(vector.tolist(), 3)
    milvus_server.stop()
    try:
        calls = [lambda: store.search(vector.tolist(), 3), lambda: store.search_dated(vector, 3, "2024-01-01", None),
                 lambda: store.keyword_search("missiles", 3), lambda: store.hits([hits[0].chunk_id], vector),
                 lambda: store.sentence_evidence(hits), store.count, store.articles, store.stored_chunks,
                 lambda: store.date_share("2024-01-01", None), lambda: milvus_assistant.ask(README_QUESTIONS[0]),
                 lambda: milvus_assistant.ingest_articles(DATED), lambda: store.delete_article(hits[0].article_id)]
        for call in calls:
            with pytest.raises(StoreUnavailableError) as raised:
                call()
            assert raised.value.address == milvus_server.uri
            assert milvus_server.uri in str(raised.value)
    finally:
        milvus_server.start()
    # The same objects, no restart: the client redials by itself (within about 0.3 s measured).
    deadline = time.monotonic() + 10
    while True:
        try:
            store.count()
            break
        except StoreUnavailableError:
            assert time.monotonic() < deadline, "the store did not reconnect within 10 s"
            time.sleep(0.1)
    assert _answer_key(milvus_assistant, README_QUESTIONS[0]) == before
    assert store.count() == len(store.stored_chunks())


@pytest.mark.milvus
def test_a_collection_of_another_model_is_refused(milvus_server, embedder: Embedder, tmp_path: Path) -> None:  # noqa: ANN001
    engine = MilvusEngine(milvus_server.uri)
    create_collection(engine, "other_model", SimpleNamespace(space="another-model", dimension=embedder.dimension))
    with pytest.raises(EmbeddingMismatchError, match="qa reindex"):
        MilvusArticleStore(engine, embedder, data_dir=tmp_path, collection="other_model")
    store = MilvusArticleStore(engine, embedder, data_dir=tmp_path, collection="other_model", check_model=False)
    store.reset()
    assert store.existing_model() == (embedder.space, embedder.dimension)


def test_a_store_without_an_engine_names_its_address(embedder: Embedder, tmp_path: Path) -> None:
    from index.storage.milvus.lite_server import free_port

    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailableError, match=f"cannot reach the Milvus engine at {uri}"):
        MilvusArticleStore(MilvusEngine(uri), embedder, data_dir=tmp_path)


def test_both_backends_offer_the_store_surface_callers_use() -> None:
    import inspect

    from index.storage.protocol import ChunkStore
    from index.storage.store import ArticleStore

    wanted = {name for name, _ in inspect.getmembers(ChunkStore, inspect.isfunction) if not name.startswith("_")}
    for store in (ArticleStore, MilvusArticleStore):
        offered = {name for name, _ in inspect.getmembers(store, inspect.isfunction)}
        assert wanted <= offered, (store.__name__, wanted - offered)
    # Whatever qa/ and ui/ call on `.store` exists on the Milvus store too (Chroma's own knobs aside).
    import re

    used = set()
    for path in [*Path(ROOT, "qa").rglob("*.py"), *Path(ROOT, "ui").rglob("*.py")]:
        used |= set(re.findall(r"\bstore\.([a-z_]+)\(", path.read_text(encoding="utf-8")))
    # Other objects named `store`: the feedback store (list, rate, set_note) and LangChain vector stores.
    others = {"list", "set_note", "rate", "add", "delete", "add_documents", "similarity_search"}
    missing = {name for name in used if not hasattr(MilvusArticleStore, name)} - others
    assert not missing
