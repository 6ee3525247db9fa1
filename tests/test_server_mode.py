"""Chroma server mode (store.mode: server): a clear error when the server is down, and several
processes, each with its own data dir, sharing one collection and staying in step with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from index.embedding.embed import Embedder
from index.errors import StoreUnavailableError
from index.storage.keyword import KeywordIndex
from index.embedding.sentences import SentenceStore
from index.storage.store import GENERATION_KEY, ArticleStore, server_client
from qa.api import Assistant
from qa.config import DataSettings, Settings
from tests.support import SAMPLE_DIR, SERVER_MODE, both_store_modes, free_port
from ui.cli.serve import app

QUESTION = "What did Macron announce about missiles?"
server_mode = pytest.mark.parametrize("store_mode", [SERVER_MODE], indirect=True)


def other_host(settings: Settings, embedder: Embedder, data_dir: Path, check_interval_s: float = 0) -> Assistant:
    """Another `qa serve` host: its own Chroma client and data dir, the same server collection."""
    client = server_client(settings.store.host, settings.store.port)
    store = ArticleStore(client, embedder, data_dir=data_dir, collection=settings.store.collection,
                         check_interval_s=check_interval_s)
    return Assistant(settings.model_copy(update={"data": DataSettings(dir=data_dir)}), embedder=embedder, store=store)


def generation(store: ArticleStore) -> str | None:
    collection = store.client.get_collection(store.collection_name, embedding_function=None)
    return (collection.metadata or {}).get(GENERATION_KEY)


@both_store_modes
def test_writes_replace_the_generation_and_keep_model_keys_and_cosine_space(assistant: Assistant) -> None:
    store = assistant.store
    model = store.existing_model()
    assert model[0] is not None and generation(store) is None
    assistant.ingest([SAMPLE_DIR])
    first = generation(store)
    assert first is not None
    assert store.existing_model() == model  # modify() replaces the metadata: the model keys are carried over
    current = store.client.get_collection(store.collection_name, embedding_function=None)
    assert current.configuration["hnsw"]["space"] == "cosine"
    # Cosine space: a search score is the cosine similarity (under l2 it would be 2cos - 1).
    query = assistant.embedder.embed_query("missiles for Ukraine")
    hit = store.search(query, k=1)[0]
    stored = store.collection.get(ids=[hit.chunk_id], include=["embeddings"])["embeddings"][0]
    assert hit.score == pytest.approx(float(np.dot(query, stored)), abs=1e-4)

    assistant.ingest([SAMPLE_DIR])  # unchanged: nothing written, nothing to tell
    assert generation(store) == first
    assistant.delete_article(assistant.articles()[0].id)
    assert generation(store) not in (None, first)


@server_mode
def test_a_write_on_one_host_reaches_keyword_search_on_another(assistant: Assistant, settings: Settings,
                                                               embedder: Embedder, tmp_path: Path) -> None:
    other = other_host(settings, embedder, tmp_path / "host-b")
    lagging = other_host(settings, embedder, tmp_path / "host-c", check_interval_s=3600)
    assert other.store.keyword_search("missiles", 5) == []
    assistant.ingest([SAMPLE_DIR])
    chunk_ids = set(assistant.store.collection.get(include=[])["ids"])
    found = other.store.keyword_search("missiles", 5)
    assert found and {i for i, _ in found} <= chunk_ids
    assert set(other.store.keywords.ids) == chunk_ids
    # Within its check interval a host does not look, so its keyword index may lag...
    assert lagging.store.keyword_search("missiles", 5) == []
    lagging.store.check_interval_s = 0  # ...and catches up at its next look.
    assert lagging.store.keyword_search("missiles", 5)

    assistant.delete_article(assistant.articles()[0].id)
    assert other.store.keyword_search("missiles", 5) == []
    assert other.store.keywords.ids == []


@server_mode
def test_a_fresh_data_dir_answers_from_the_shared_collection(assistant: Assistant, settings: Settings,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant.ingest([SAMPLE_DIR])
    chunk_ids = set(assistant.store.collection.get(include=[])["ids"])
    other_dir = tmp_path / "host-b"
    monkeypatch.setenv("QA_DATA__DIR", str(other_dir))  # the CLI reads the store settings from the env too
    result = CliRunner().invoke(app, ["ask", "--json", QUESTION], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert "medium- and long-range missiles" in answer["answer"] and answer["citations"][0]["date"] == "2024-02-27"
    # Its keyword index was rebuilt from Chroma, and the sentence vectors of the chunks it read
    # were computed on demand.
    collection = settings.store.collection
    assert set(KeywordIndex(other_dir / f"{collection}.keywords").ids) == chunk_ids
    sentences = SentenceStore(other_dir / f"{collection}.sentences.sqlite", assistant.embedder.dimension)
    assert 0 < sentences.count() and set(sentences.get(sorted(chunk_ids))) <= chunk_ids


@server_mode
def test_a_reindex_on_one_host_is_followed_by_another(assistant: Assistant, settings: Settings,
                                                      embedder: Embedder, tmp_path: Path) -> None:
    assistant.ingest([SAMPLE_DIR])
    other = other_host(settings, embedder, tmp_path / "host-b")
    assert "medium- and long-range missiles" in other.ask(QUESTION).text
    assistant.reindex()  # drops and recreates the collection under the other host's feet
    assert "medium- and long-range missiles" in other.ask(QUESTION).text
    assert other.store.collection.id == assistant.store.collection.id


def test_an_unreachable_server_is_one_clear_error(settings: Settings, embedder: Embedder,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("QA_STORE__MODE", "server")
    monkeypatch.setenv("QA_STORE__PORT", str(port))
    for args in (["ask", QUESTION], ["stats"], ["serve", "--port", str(free_port())]):
        result = CliRunner().invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 2, (args, result.output)
        assert f"cannot reach the Chroma server at http://127.0.0.1:{port}" in result.output
        assert "make chroma" in result.output and "Traceback" not in result.output
    server = settings.store.model_copy(update={"mode": "server", "port": port})
    with pytest.raises(StoreUnavailableError, match="make chroma"):
        Assistant(settings.model_copy(update={"store": server}), embedder=embedder)


def test_records_url_names_the_record_managers_database(settings: Settings, embedder: Embedder,
                                                         tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "records.sqlite"
    shared.parent.mkdir()
    store = settings.store.model_copy(update={"records_url": f"sqlite:///{shared}"})
    assistant = Assistant(settings.model_copy(update={"store": store}), embedder=embedder)
    assistant.ingest([SAMPLE_DIR])
    assert shared.is_file() and not (settings.data.dir / "records.sqlite").exists()
    assert assistant.ingest([SAMPLE_DIR]).count("unchanged") == 1


@server_mode
def test_an_empty_server_collection_answers_a_search_with_no_hits(settings: Settings, embedder: Embedder,
                                                                  tmp_path: Path) -> None:
    client = server_client(settings.store.host, settings.store.port)
    store = ArticleStore(client, embedder, data_dir=tmp_path, collection="empty-for-search")
    assert store.count() == 0 and store.search(embedder.embed_query("storm"), k=5) == []
