"""Date-filtered dense search gives Chroma's filtered answer by both of its strategies, and
whole-collection reads are paged (Chroma fails on one unpaged get of some 20k records)."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest

import index.storage.store as store_module
from index.models import Article
from index.storage.store import ArticleStore, date_where
from qa.api import Assistant

TOPICS = ["harbour storm piers", "central bank interest rates", "football cup final",
          "vaccine trial results", "election turnout record", "wildfire evacuation order"]


@pytest.fixture
def dated(assistant: Assistant) -> ArticleStore:
    """60 one-chunk articles, one every ten days through 2023 and into 2024."""
    start = dt.date(2023, 1, 1)
    articles = [Article(id=f"a{n:02d}", title=f"Report {n}: {TOPICS[n % len(TOPICS)]}",
                        text=f"Report number {n} covers {TOPICS[n % len(TOPICS)]} in detail. "
                             f"It was filed by desk {n % 7} with {n * 3} sources.",
                        source="test", date=(start + dt.timedelta(days=10 * n)).isoformat())
                for n in range(60)]
    assistant.ingest_articles(articles)
    return assistant.store


def chroma_filtered(store: ArticleStore, vector: np.ndarray, k: int, since: str, until: str) -> list[str]:
    return [h.chunk_id for h in store.search(vector.tolist(), k, date_where(since, until))]


@pytest.mark.parametrize("since, until", [
    ("2023-01-01", "2024-12-31"),  # everything: over-fetch
    ("2023-03-01", "2023-08-31"),  # 30% of the chunks: over-fetch
    ("2023-05-01", "2023-05-31"),  # 5%: exact search among the range's vectors
    ("2023-05-05", "2023-05-05"),  # no article that day
])
def test_dated_search_matches_chromas_filter(dated: ArticleStore, assistant: Assistant, since: str,
                                             until: str) -> None:
    for question in ("interest rates", "who won the cup final?", "vaccine"):
        vector = assistant.embedder.encode([question])[0]
        ours = dated.search_dated(vector, 5, since, until)
        assert [h.chunk_id for h in ours] == chroma_filtered(dated, vector, 5, since, until)
        assert all(since <= h.date <= until for h in ours)
        assert [h.score for h in ours] == sorted((h.score for h in ours), reverse=True)


def test_narrow_ranges_use_exact_search_and_broad_ones_the_index(dated: ArticleStore, assistant: Assistant,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    vector = assistant.embedder.encode(["interest rates"])[0]
    calls = []
    monkeypatch.setattr(dated.keywords, "nearest", lambda *a, **k: calls.append(a) or [])
    dated.search_dated(vector, 5, "2023-05-01", "2023-05-31")
    assert len(calls) == 1  # 5% of the chunks: exact
    dated.search_dated(vector, 5, "2023-01-01", "2023-12-31")
    assert len(calls) == 1  # 60%: the unfiltered index, deeper


def test_old_keyword_index_without_vectors_is_rebuilt(dated: ArticleStore, assistant: Assistant) -> None:
    folder = dated.keywords.path
    (folder / "codes.npy").unlink()
    (folder / "scales.npy").unlink()
    reopened = Assistant(assistant.settings, embedder=assistant.embedder)
    assert reopened.store.keywords.has_vectors


def test_reads_are_paged(dated: ArticleStore, assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "GET_PAGE", 7)
    assert len(dated.articles()) == 60
    shutil.rmtree(dated.keywords.path)
    reopened = Assistant(assistant.settings, embedder=assistant.embedder)
    assert len(reopened.store.keywords.ids) == dated.count() == 60


def test_without_vectors_narrow_ranges_fall_back_to_chromas_filter(dated: ArticleStore, assistant: Assistant,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dated.keywords, "_vectors", None)
    vector = assistant.embedder.encode(["interest rates"])[0]
    ours = [h.chunk_id for h in dated.search_dated(vector, 5, "2023-05-01", "2023-05-31")]
    assert ours and ours == chroma_filtered(dated, vector, 5, "2023-05-01", "2023-05-31")
