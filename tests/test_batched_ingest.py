"""Files are stored several at a time (one Chroma write per batch), yet every file keeps its own
report, and a store failure on one file still loses none of the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.ingest import Ingestor
from qa.api import Assistant


def write_articles(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"{n:02d}.md"
        path.write_text(f"---\ntitle: Report {n}\ndate: 2024-03-{n + 1:02d}\n---\n"
                        f"Report {n} says the quorvane{n} bridge reopened. Its repairs took {n + 2} weeks.",
                        encoding="utf-8")
        paths.append(path)
    return paths


def test_small_files_are_stored_together_with_a_report_each(assistant: Assistant, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    paths = write_articles(tmp_path / "news", 12)
    calls: list[int] = []
    real = assistant.store.upsert_articles
    monkeypatch.setattr(assistant.store, "upsert_articles", lambda batch: calls.append(len(batch)) or real(batch))
    seen: list[str] = []
    report = assistant.ingest([tmp_path / "news"], on_file=lambda r: seen.append(Path(r.path).name))

    assert calls == [12]  # one indexing call for twelve one-chunk files
    assert seen == [p.name for p in paths]  # progress still per file, in order
    assert [(f.status, f.articles, f.chunks_added) for f in report.files] == [("indexed", 1, 1)] * 12

    paths[3].write_text(paths[3].read_text(encoding="utf-8").replace("weeks", "months"), encoding="utf-8")
    again = assistant.ingest([tmp_path / "news"])
    assert [f.status for f in again.files] == ["unchanged"] * 3 + ["updated"] + ["unchanged"] * 8
    assert (again.files[3].chunks_added, again.files[3].chunks_deleted) == (1, 1)
    answer = assistant.ask("Which bridge reopened after repairs took 5 months?")
    assert "5 months" in answer.text and answer.citations[0].title == "Report 3"


def test_a_store_failure_fails_only_its_own_file(assistant: Assistant, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_articles(tmp_path / "news", 5)
    real = assistant.store.upsert_articles

    def refuse_report_2(batch):  # noqa: ANN001, ANN202
        if any(article.title == "Report 2" for article, _ in batch):
            raise RuntimeError("disk full")
        return real(batch)

    monkeypatch.setattr(assistant.store, "upsert_articles", refuse_report_2)
    report = assistant.ingest([tmp_path / "news"])
    assert [f.status for f in report.files] == ["indexed", "indexed", "failed", "indexed", "indexed"]
    assert "could not store: RuntimeError: disk full" in report.files[2].reason
    assert len(assistant.articles()) == 4
    assert set(assistant.store.keywords.ids) == set(assistant.store.collection.get(include=[])["ids"])


def test_batches_close_at_the_configured_size(assistant: Assistant, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_articles(tmp_path / "news", 7)
    ingestor = Ingestor(assistant.store, assistant.chunker, batch_chunks=3)
    calls: list[int] = []
    real = assistant.store.upsert_articles
    monkeypatch.setattr(assistant.store, "upsert_articles", lambda batch: calls.append(len(batch)) or real(batch))
    report = ingestor.ingest([tmp_path / "news"])
    assert calls == [3, 3, 1] and report.count("indexed") == 7


def test_root_keeps_a_files_source_when_it_is_ingested_alone(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    [path] = write_articles(folder / "world", 1)
    briefs = folder / "world" / "briefs.jsonl"
    briefs.write_text('{"title": "Brief", "text": "The quorvane ferry carried 90 passengers on Sunday."}\n',
                      encoding="utf-8")
    assert assistant.ingest([folder]).count("indexed") == 2
    sources = {"world/00.md", "world/briefs.jsonl"}
    assert {a.source for a in assistant.articles()} == sources

    # Each file alone, shown relative to root as the folder's ingest showed it: nothing re-embedded.
    again = assistant.ingest([path, briefs], root=folder)
    assert [(f.status, f.chunks_added) for f in again.files] == [("unchanged", 0), ("unchanged", 0)]
    assert {a.source for a in assistant.articles()} == sources

    # Without root a file named alone is shown by its bare name: another source, re-embedded.
    assert assistant.ingest([path]).files[0].status == "updated"
    assert assistant.ingest([path], root=folder).files[0].status == "updated"  # and back
    assert {a.source for a in assistant.articles()} == sources

    # A path outside root is a caller's mistake, refused before anything is read or written.
    outside = write_articles(tmp_path / "elsewhere", 1)[0]
    with pytest.raises(ValueError, match="is not inside"):
        assistant.ingest([path, outside], root=folder)
    assert {a.source for a in assistant.articles()} == sources
