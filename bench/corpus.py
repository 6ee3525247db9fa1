"""Benchmark corpora from the public evaluation data: real articles, and a 100k-chunk index.

The real articles are SQuAD v1.1, SQuAD 2.0 and BEIR SciFact (about 12k chunks together). The
larger indexes repeat them "with variations": each edition gets its own title suffix, a
publication date in another month and its paragraphs in rotated order, so chunks, titles, dates
and vectors differ between editions while the sentences stay real prose. Sentences recur across
editions, so a memo of sentence vectors makes an edition cost only its titles to embed; the
index is built once through the project's own ingestion and kept in `bench/.cache/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.embedding.embed import Embedder, Encoder
from index.models import Article
from qa.evaluation.datasets import load_dataset

logger = logging.getLogger(__name__)

EVAL_DIR = Path(os.environ.get("BENCH_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "eval"))
CACHE = Path(__file__).resolve().parent / ".cache"
SOURCES = ("squad-v1.1-dev.json", "squad-v2.0-dev.json", "scifact")


def real_articles() -> list[Article]:
    """The evaluation datasets' documents as articles, each with a date (for filtered queries)."""
    if not EVAL_DIR.exists():
        raise SystemExit(f"benchmark data not found at {EVAL_DIR}; set BENCH_EVAL_DIR to the eval folder")
    seen: dict[str, Article] = {}
    for name in SOURCES:
        for article in load_dataset(EVAL_DIR / name).articles:
            seen.setdefault(article.id, article)
    articles = sorted(seen.values(), key=lambda a: a.id)
    start = dt.date(2020, 1, 1)
    # Spread dates over five years, deterministically, so date filters have something to cut.
    return [replace(a, date=(start + dt.timedelta(days=_stable(a.id) % 1826)).isoformat()) for a in articles]


def edition(articles: list[Article], number: int) -> Iterator[Article]:
    """Edition `number` of the articles: edition 0 is the articles themselves."""
    for article in articles:
        if number == 0:
            yield article
            continue
        paragraphs = article.text.split("\n\n")
        shift = number % max(len(paragraphs), 1)
        date = dt.date.fromisoformat(article.date) + dt.timedelta(days=37 * number) if article.date else None
        yield replace(article, id=f"{article.id}~e{number}", title=f"{article.title} (edition {number})",
                      text="\n\n".join(paragraphs[shift:] + paragraphs[:shift]),
                      date=date.isoformat() if date else None, path=None)


class MemoEncoder:
    """Remembers every text's vector and token vectors: editions repeat sentences, so each is
    embedded once."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.embedded = 0

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.encode_tokens(texts, batch_size)[0]

    def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
        new = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if new:
            pooled, tokens = self.inner.encode_tokens(new, batch_size)
            for text, vector, token_vectors in zip(new, pooled, tokens, strict=True):
                self.memo[text] = (vector, token_vectors)
            self.embedded += len(new)
        if not texts:
            return np.zeros((0, self.dimension), np.float32), []
        return np.stack([self.memo[t][0] for t in texts]), [self.memo[t][1] for t in texts]


def build_index(data_dir: Path, chunks: int, embedder: Embedder, *, settings_for) -> dict[str, float]:  # noqa: ANN001
    """Build (once) an index of at least `chunks` chunks in `data_dir`; return how it went.

    `settings_for(data_dir)` gives the `Settings` to build with. The build is skipped when
    `data_dir/.complete` says an earlier run finished it.
    """
    from qa.api import Assistant

    done_marker = data_dir / ".complete"
    if done_marker.exists():
        return {"cached": 1.0}
    memo = Embedder(embedder.model_name, backend=embedder.backend, encoder=MemoEncoder(embedder._encoder),
                    batch_size=embedder.batch_size)
    assistant = Assistant(settings_for(data_dir), embedder=memo)
    articles = real_articles()
    started = time.perf_counter()
    number = 0
    while assistant.store.count() < chunks:
        batch: list[Article] = []
        for article in edition(articles, number):
            batch.append(article)
        remaining = chunks - assistant.store.count()
        logger.warning("building %s: edition %d (%d chunks so far, %d to go)", data_dir.name, number,
                       assistant.store.count(), remaining)
        assistant.ingest_articles(_until(batch, assistant, remaining))
        number += 1
    seconds = time.perf_counter() - started
    done_marker.write_text(f"{assistant.store.count()} chunks in {seconds:.0f} s\n")
    return {"cached": 0.0, "seconds": seconds, "chunks": float(assistant.store.count())}


def _until(articles: list[Article], assistant, remaining: int) -> Iterator[Article]:  # noqa: ANN001
    """Articles until about `remaining` more chunks have been made (estimated from their length)."""
    size = assistant.settings.chunking.size
    made = 0
    for article in articles:
        if made >= remaining:
            return
        made += max(1, -(-len(article.text) // size))
        yield article


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
