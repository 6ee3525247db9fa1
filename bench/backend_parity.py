"""Retrieval parity of the two store backends: the same questions through `Assistant.trace` over the
same articles, indexed once in Chroma (embedded) and once in Milvus (`milvus-lite server`).

    .venv/bin/python -m bench.backend_parity --questions 200 --articles 600

For each dataset it prints recall@1/@5 (nDCG@10 for BEIR), question p50/p95 and the share of
questions whose top-10 ranking and answer are identical in both, and writes
bench/results/backend-parity-<time>.json. Subsets (`--questions`, `--articles`: the sampled
questions' own articles first, then others drawn with the seed up to the cap) keep a run within
minutes on 2 cores; the numbers say which subset was measured. The model runs once per text:
the second backend is given the first one's vectors (`MemoEncoder`), so both index exactly the
same vectors and a whole dataset costs one embedding pass (ingest chunks/s then differ by that).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.embedding.embed import Embedder
from index.storage.milvus import LiteServer
from qa.api import build_embedder
from qa.config import load_settings
from qa.evaluation.datasets import load_dataset
from qa.evaluation.questions import Dataset
from qa.evaluation.runner import build_index, run_questions

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
DATASETS = {"squad": EVAL_DIR / "squad-v1.1-dev.json", "scifact": EVAL_DIR / "scifact",
            "realtimeqa": EVAL_DIR / "realtimeqa-2024",
            # One week of the quiz (its questions and every article its searches returned): a natural
            # subset, where --questions/--articles would keep most of the corpus for any sample
            # (RealTimeQA names no gold article, so every article holding a gold string is kept).
            "realtimeqa-week": EVAL_DIR / "realtimeqa-2024" / "20240503_qa.jsonl.gz"}
RESULTS = Path(__file__).resolve().parent / "results"
HEADLINE = ("recall@1", "recall@5", "ndcg@10", "mrr", "latency_p50_ms", "latency_p95_ms")


class MemoEncoder:
    """An encoder that runs the model once per text and replays its outputs after (per text, so
    a text gets the same vectors whatever batch it comes in). Token vectors are kept as float16
    (RealTimeQA's 220k sentences would take 7 GB as float32); both backends get the same ones."""

    def __init__(self, encoder) -> None:  # noqa: ANN001 - index.embedding.embed.Encoder
        self.encoder, self.dimension = encoder, encoder.dimension
        self._pooled: dict[str, np.ndarray] = {}
        self._tokens: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if len(texts) == 1:  # a question (`embed_query`): computed each time, so latency stays comparable
            return self.encoder.encode(texts, batch_size)
        missing = [t for t in dict.fromkeys(texts) if t not in self._pooled and t not in self._tokens]
        if missing:
            self._pooled.update(zip(missing, self.encoder.encode(missing, batch_size), strict=True))
        return np.vstack([self._pooled[t] if t in self._pooled else self._tokens[t][0] for t in texts])

    def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._tokens]
        if missing:
            pooled, tokens = self.encoder.encode_tokens(missing, batch_size)
            self._tokens.update({t: (p, np.asarray(k, dtype=np.float16))
                                 for t, p, k in zip(missing, pooled, tokens, strict=True)})
        return (np.vstack([self._tokens[t][0] for t in texts]),
                [self._tokens[t][1].astype(np.float32) for t in texts])

    def clear(self) -> None:
        self._pooled.clear()
        self._tokens.clear()

    def content_token_counts(self, texts: list[str]) -> list[int]:
        return self.encoder.content_token_counts(texts)


def subset(data: Dataset, questions: int | None, articles: int | None, seed: int) -> Dataset:
    """`questions` drawn with `seed`, over their own articles plus others up to `articles`."""
    asked = data.sample(questions, seed)
    if articles is None or articles >= len(data.articles):
        return replace(data, questions=asked)
    needed = {q.article_id for q in asked if q.article_id} | {a for q in asked for a in q.relevant}
    if not needed:  # RealTimeQA names no gold article: keep those holding a gold answer
        golds = [g.lower() for q in asked for g in q.golds]
        needed = {a.id for a in data.articles if any(g in a.text.lower() for g in golds)}
    others = [a for a in data.articles if a.id not in needed]
    random.Random(seed).shuffle(others)
    kept = needed | {a.id for a in others[:max(0, articles - len(needed))]}
    return replace(data, articles=[a for a in data.articles if a.id in kept], questions=asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS))
    parser.add_argument("--questions", type=int, default=None, help="questions per dataset (default: all)")
    parser.add_argument("--articles", type=int, default=None, help="articles per dataset at most (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--uri", default=None, help="a running Milvus engine (default: start a milvus-lite server)")
    args = parser.parse_args()
    settings = load_settings()
    model = build_embedder(settings)
    embedder = Embedder(model.model_name, backend=model.backend, encoder=MemoEncoder(model._encoder),
                        batch_size=model.batch_size)
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="qa-parity-") as tmp:
        server = None if args.uri else LiteServer(Path(tmp) / "milvus").start()
        uri = args.uri or server.uri  # type: ignore[union-attr]
        try:
            for name in args.datasets.split(","):
                fmt = "realtimeqa" if name.startswith("realtimeqa") else None
                data = subset(load_dataset(DATASETS[name], fmt), args.questions, args.articles, args.seed)
                runs = {}
                for backend in ("chroma", "milvus"):
                    chosen = settings.model_copy(deep=True)
                    chosen.store.backend, chosen.store.uri = backend, uri
                    assistant, ingest = build_index(data, chosen, embedder, Path(tmp) / f"{name}-{backend}")
                    started = time.perf_counter()
                    runs[backend] = run_questions(assistant, data, data.questions, ingest)
                    runs[backend].extra["ask_s"] = time.perf_counter() - started
                report[name] = _compare(data, runs)
                embedder._encoder.clear()  # type: ignore[attr-defined]
                _print(name, report[name])
        finally:
            if server is not None:
                server.stop()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"backend-parity-{time.strftime('%Y-%m-%d-%H%M')}.json"
    out.write_text(json.dumps({"args": vars(args), "datasets": report}, indent=2))
    print(f"\nwritten to {out}")


def _compare(data: Dataset, runs: dict) -> dict:
    chroma, milvus = runs["chroma"].results, runs["milvus"].results
    # Top 10 only: BEIR rankings run 100 deep, where ties and per-segment BM25 statistics reorder the tail.
    same_ranking = sum(a.ranking[:10] == b.ranking[:10] for a, b in zip(chroma, milvus, strict=True)) / len(chroma)
    same_answer = sum(a.answer == b.answer for a, b in zip(chroma, milvus, strict=True)) / len(chroma)
    return {"questions": len(data.questions), "articles": len(data.articles),
            "chunks": runs["chroma"].ingest["chunks"], "same_ranking": same_ranking, "same_answer": same_answer,
            **{backend: {**{k: run.metrics.get(k) for k in HEADLINE}, "ingest_chunks_per_s": run.ingest["chunks_per_s"]}
               for backend, run in runs.items()}}


def _print(name: str, row: dict) -> None:
    print(f"\n{name}: {row['questions']} questions over {row['articles']} articles ({row['chunks']} chunks); "
          f"identical top-10 ranking {row['same_ranking']:.3f}, identical answer {row['same_answer']:.3f}")
    print(f"| backend | {' | '.join(HEADLINE)} | ingest chunks/s |")
    print("|---" * (len(HEADLINE) + 2) + "|")
    for backend in ("chroma", "milvus"):
        values = [row[backend][k] for k in HEADLINE]
        cells = ["-" if v is None else f"{v:.3f}" if k.startswith(("recall", "ndcg", "mrr")) else f"{v:.0f}"
                 for k, v in zip(HEADLINE, values, strict=True)]
        print(f"| {backend} | {' | '.join(cells)} | {row[backend]['ingest_chunks_per_s']:.0f} |")


if __name__ == "__main__":
    main()
