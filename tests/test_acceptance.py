"""The spine's acceptance criteria, exercised through the `qa` CLI as a user would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import SAMPLE_DIR, SAMPLE_FILE, both_store_modes
from ui.cli.serve import app

runner = CliRunner()


def qa(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def ask_json(question: str, *extra: str) -> dict:
    code, output = qa("ask", "--json", *extra, question)
    assert code == 0, output
    return json.loads(output)


@both_store_modes
def test_missiles_question_is_answered_with_a_dated_citation() -> None:
    code, output = qa("ingest", str(SAMPLE_DIR))
    assert code == 0, output
    result = ask_json("What did Macron announce about missiles?")
    assert result["abstained"] is False
    assert "medium- and long-range missiles" in result["answer"]
    assert "[1]" in result["answer"]
    cited = result["citations"][0]
    assert cited["date"] == "2024-02-27"
    assert cited["quote"] in SAMPLE_FILE.read_text(encoding="utf-8")  # verbatim from the article
    assert "medium- and long-range missiles" in cited["quote"]
    assert set(result) == {"question", "answer", "outcome", "abstained", "short_answer", "confidence", "notice",
                           "mode", "unsupported", "citations", "conflicts", "timings_ms"}
    assert result["outcome"] == "answered"
    assert set(cited) == {"n", "article_id", "title", "date", "source", "quote", "page", "also_in"}
    assert cited["page"] is None and cited["also_in"] == [] and result["conflicts"] == []  # a text file, one outlet


@both_store_modes
def test_question_outside_the_articles_abstains_and_shows_closest_sources() -> None:
    qa("ingest", str(SAMPLE_DIR))
    result = ask_json("What is the capital of Peru?")
    assert result["abstained"] is True
    assert result["answer"].startswith("Not in the articles")
    assert result["citations"], "an abstention still lists the closest sources"
    code, output = qa("ask", "What is the capital of Peru?")
    assert code == 0 and "Closest sources:" in output


def test_empty_question_is_a_usage_error() -> None:
    qa("ingest", str(SAMPLE_DIR))
    code, output = qa("ask", "   ")
    assert code == 2
    assert "question is empty" in output


@both_store_modes
def test_reingest_edit_and_prune(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SAMPLE_FILE, articles / SAMPLE_FILE.name)
    other = articles / "2024-03-01-harbour.md"
    other.write_text("---\ntitle: Harbour reopens\ndate: 2024-03-01\n---\n"
                     "The harbour of Lowtown reopened on Friday after a storm closed it for a week. "
                     "Fishermen said the damage to the piers was smaller than feared.\n\n"
                     "The mayor thanked the volunteers who cleared the debris.", encoding="utf-8")
    code, _ = qa("ingest", str(articles))
    assert code == 0
    before = json.loads(qa("stats", "--json")[1])
    assert before["articles"] == 2

    # Unchanged: every file reported unchanged, nothing written.
    code, output = qa("ingest", "--json", str(articles))
    report = json.loads(output)
    assert code == 0
    assert {f["status"] for f in report["files"]} == {"unchanged"}
    assert report["chunks_added"] == report["chunks_deleted"] == 0
    assert json.loads(qa("stats", "--json")[1])["chunks"] == before["chunks"]
    assert "already indexed" in qa("ingest", str(articles))[1]

    # Edited: exactly that article's chunks are replaced.
    sample_chunks = _chunks_of("Macron")
    other.write_text(other.read_text(encoding="utf-8").replace("on Friday", "on Saturday"), encoding="utf-8")
    report = json.loads(qa("ingest", "--json", str(articles))[1])
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses == {SAMPLE_FILE.name: "unchanged", other.name: "updated"}
    assert report["chunks_deleted"] == 1 and report["chunks_added"] == 1
    assert _chunks_of("Macron") == sample_chunks
    assert "Saturday" in ask_json("When did the harbour of Lowtown reopen?")["answer"]

    # Deleted + --prune: its chunks are gone, the other article's stay.
    other.unlink()
    report = json.loads(qa("ingest", "--prune", "--json", str(articles))[1])
    assert len(report["pruned"]) == 1
    after = json.loads(qa("stats", "--json")[1])
    assert after["articles"] == 1
    assert after["chunks"] == before["chunks"] - 1
    assert _chunks_of("Macron") == sample_chunks


def _chunks_of(title_word: str) -> list[str]:
    """Ids of the stored chunks of the article whose title contains `title_word`."""
    from qa.api import Assistant

    store = Assistant.from_config().store
    got = store.collection.get(include=["metadatas"])
    return sorted(i for i, m in zip(got["ids"], got["metadatas"], strict=True) if title_word in m["title"])


def test_bad_files_are_reported_and_the_rest_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SAMPLE_FILE, folder / SAMPLE_FILE.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "latin1.txt").write_bytes(
        "The station café in Besançon reopened after renovation works. Its regulars, led by José Müller, "
        "were delighted.".encode("latin-1"))
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    code, output = qa("ingest", "--json", str(folder))
    assert code == 1, output
    files = {Path(f["path"]).name: f for f in json.loads(output)["files"]}
    assert files[SAMPLE_FILE.name]["status"] == "indexed"
    assert files["latin1.txt"]["status"] == "indexed"
    assert "Windows-1252" in files["latin1.txt"]["warnings"][0]
    assert files["empty.txt"]["status"] == "failed" and files["empty.txt"]["reason"] == "empty file"
    assert files["binary.txt"]["status"] == "failed" and "binary content" in files["binary.txt"]["reason"]
    assert files["photo.png"]["status"] == "skipped" and "unsupported file type" in files["photo.png"]["reason"]
    # The good files are searchable, and the Latin-1 text was decoded correctly.
    answer = ask_json("Which café reopened after renovation works?")["answer"]
    assert "station café in Besançon" in answer
    # The plain-text report names every file with its reason.
    code, output = qa("ingest", str(folder))
    assert code == 1
    assert "failed    " in output and "binary content" in output and "empty file" in output


def test_missing_path_fails_without_stopping_the_batch(tmp_path: Path) -> None:
    code, output = qa("ingest", "--json", str(tmp_path / "nope.txt"), str(SAMPLE_DIR))
    assert code == 1
    statuses = [f["status"] for f in json.loads(output)["files"]]
    assert statuses == ["failed", "indexed"]


@both_store_modes
def test_stats_and_articles_listing() -> None:
    qa("ingest", str(SAMPLE_DIR))
    stats = json.loads(qa("stats", "--json")[1])
    assert stats["articles"] == 1 and stats["chunks"] >= 2
    assert stats["model"] == "all-MiniLM-L6-v2" and stats["dimension"] == 384
    assert stats["backend"] == "onnx-int8"
    listed = json.loads(qa("articles", "--json")[1])
    assert listed[0]["date"] == "2024-02-27" and listed[0]["title"] == "Macron Ukraine Ground Troops"


def test_terminal_chat_keeps_history() -> None:
    qa("ingest", str(SAMPLE_DIR))
    # Alone, "Which areas were they?" is not answerable (see test_http_api); after the first
    # question it is.
    code, output = qa("chat", input="What did Macron outline during the conference?\nWhich areas were they?\n/quit\n")
    assert code == 0
    assert output.count("Sources:") == 2
    assert output.count("cyber defense") >= 2  # both answers quote the five areas
    assert "Not in the articles" not in output


def test_config_errors_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("retrieval:\n  top_k: 5\n  topk: 3\n", encoding="utf-8")
    code, output = qa("--config", str(bad), "stats")
    assert code == 2 and "retrieval.topk" in output
    monkeypatch.setenv("QA_RETRIEVAL__TOP_K", "many")
    code, output = qa("stats")
    assert code == 2 and "retrieval.top_k" in output
    code, output = qa("--config", str(tmp_path / "missing.yaml"), "stats")
    assert code == 2 and "config file not found" in output


def test_model_change_is_refused_until_reindex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.embedding.embed import resolve_model_path

    qa("ingest", str(SAMPLE_DIR))
    # The same weights under another name stand for "another model" without a download.
    alias = tmp_path / "my-model"
    shutil.copytree(resolve_model_path("all-MiniLM-L6-v2"), alias)
    monkeypatch.setenv("QA_EMBEDDING__MODEL", str(alias))
    code, output = qa("ask", "What did Macron announce about missiles?")
    assert code == 2
    assert "qa reindex" in output and "all-MiniLM-L6-v2" in output
    code, output = qa("reindex", "--json")
    assert code == 0, output
    assert json.loads(output)["summary"]["indexed"] == 1
    stats = json.loads(qa("stats", "--json")[1])
    assert stats["model"] == str(alias) and stats["articles"] == 1
    assert "medium- and long-range missiles" in ask_json("What did Macron announce about missiles?")["answer"]


def test_batched_article_ingestion_is_idempotent(assistant) -> None:  # noqa: ANN001
    """Many articles in one indexing call, some long enough to span the embedder's batches:
    a second run must skip everything, not delete and re-add chunks."""
    from index.models import Article

    sentence = "The committee met again on Monday to discuss the harbour budget and the new piers. "
    articles = [Article(id=f"a{i}", title=f"Article {i}", text=sentence * (5 + 20 * (i % 3)), source=f"s{i}")
                for i in range(30)]
    added, deleted = assistant.ingest_articles(articles)
    assert added == assistant.store.count() and deleted == 0
    assert assistant.ingest_articles(articles) == (0, 0)
