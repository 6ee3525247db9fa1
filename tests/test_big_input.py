"""Big inputs: a JSONL dump is stored in bounded batches as it is read, with progress that
moves inside it, and an interrupted ingest resumes without embedding again what was stored.
(Peak memory at 1k-16k articles, and throughput against the same articles as files, are
measured by `make bench`: `big_ingest`.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.embedding.embed import Embedder
from index.ingest import Ingestor
from index.models import IngestProgress
from qa.api import Assistant
from qa.config import Settings

NATURAL = Path(__file__).resolve().parent / "data" / "natural"


def paragraphs() -> list[str]:
    """Real news paragraphs: the natural test sets' articles."""
    found = []
    for path in sorted(NATURAL.glob("*/articles/*.txt")):
        body = path.read_text(encoding="utf-8").split("\n\n")[1:]
        found += [p.strip() for p in body if len(p.split()) > 12 and not p.startswith(("Photo:", "Title:"))]
    return found


def write_dump(path: Path, n: int, *, edition: int = 0) -> Path:
    """`n` distinct articles of two or three real paragraphs each, one JSON object a line;
    each later `edition` revises a third of them (those with i % 3 == edition % 3)."""
    texts = paragraphs()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            body = "\n\n".join(texts[(i * 3 + j) % len(texts)] for j in range(2 + i % 2))
            revised = next((e for e in range(edition, 0, -1) if i % 3 == e % 3), 0)
            note = f" Revised in edition {revised}." if revised else ""
            out.write(json.dumps({"id": f"dispatch-{i}", "title": f"Dispatch {i}", "date": "2024-05-01",
                                  "text": f"{body}\n\nIts filing code is {filing_code(i)}.{note}"}) + "\n")
    return path


def filing_code(i: int) -> str:
    """A word only article `i` holds ("qxbaa"), so a keyword search finds exactly it."""
    letters = "".join(chr(97 + (i // 26 ** k) % 26) for k in range(3))
    return f"qx{letters}"


@pytest.fixture
def fresh(tmp_path: Path, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path / "data"
    return Assistant(settings, embedder=embedder)


def test_a_jsonl_dump_is_stored_in_bounded_batches_as_it_is_read(fresh: Assistant, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dump = write_dump(tmp_path / "dump.jsonl", 240)
    batches: list[int] = []
    real = fresh.store.upsert_articles

    def record(batch):  # noqa: ANN001, ANN202
        batches.append(sum(len(chunks) for _, chunks in batch))
        return real(batch)

    monkeypatch.setattr(fresh.store, "upsert_articles", record)
    seen: list[IngestProgress] = []
    report = Ingestor(fresh.store, fresh.chunker, batch_chunks=40).ingest(
        [dump], on_progress=lambda p: seen.append(IngestProgress(**{**p.__dict__})))
    (file_report,) = report.files
    assert file_report.status == "indexed" and file_report.articles == 240
    assert file_report.chunks_added == fresh.store.count() == sum(batches)
    largest_article = max(len(fresh.chunker.split(a)) for a in _articles(dump))
    assert len(batches) >= 240 * 1 // 40 and max(batches) < 40 + largest_article  # never the whole file
    done = [p.bytes for p in seen]
    assert done == sorted(done) and len(set(done)) >= len(batches) - 1  # it moves inside the file
    assert done[-1] == seen[-1].bytes_total == dump.stat().st_size and seen[-1].articles == 240


def _articles(dump: Path) -> list:
    from index.loading.load import load_file

    return load_file(dump).articles


class Interrupted(BaseException):
    """Stands for the process being killed: nothing catches it."""


def test_an_interrupted_ingest_resumes_without_embedding_again(fresh: Assistant, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              embedder: Embedder) -> None:
    dump = write_dump(tmp_path / "dump.jsonl", 150)
    real = fresh.store.upsert_articles
    calls = 0

    def crash_on_fourth(batch):  # noqa: ANN001, ANN202
        nonlocal calls
        calls += 1
        if calls == 4:
            raise Interrupted
        return real(batch)

    monkeypatch.setattr(fresh.store, "upsert_articles", crash_on_fourth)
    with pytest.raises(Interrupted):
        Ingestor(fresh.store, fresh.chunker, batch_chunks=40).ingest([dump])
    stored = fresh.store.count()
    assert 0 < stored < 150  # three batches made it
    monkeypatch.setattr(fresh.store, "upsert_articles", real)
    embedded = 0
    real_add = fresh.store.vectorstore.add_texts

    def counting(texts, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        nonlocal embedded
        texts = list(texts)
        embedded += len(texts)
        return real_add(texts, *args, **kwargs)

    monkeypatch.setattr(fresh.store.vectorstore, "add_texts", counting)
    report = Ingestor(fresh.store, fresh.chunker, batch_chunks=40).ingest([dump])
    total = fresh.store.count()
    assert report.files[0].chunks_added == total - stored == embedded  # only what was missing was embedded
    assert len(fresh.articles()) == 150
