"""Run a dataset through the same retrieval and answering code as the chat, and score it."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.metrics import (
    contains_answer,
    first_relevant_rank,
    mean_reciprocal_rank,
    ndcg_at_k,
    percentile,
    rate,
    recall_at_k,
    recall_of_set,
    short_answer_right,
)

logger = logging.getLogger(__name__)

METRIC_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "answer_hit", "quote_holds", "abstain_unanswerable",
               "abstain_answerable", "not_answered_unanswerable", "not_answered_answerable",
               "uncertain_unanswerable", "uncertain_answerable", "trust", "short_given", "short_right", "ndcg@10",
               "recall@100", "latency_p50_ms", "latency_p95_ms")
# What the outcome metrics mean (abstain = "not in the articles"; not answered = that or "uncertain"):
# answer_hit: answerable, answered, and the answer holds a gold; quote_holds: answerable, and the
# quote (answered or uncertain) holds a gold; trust: of the questions answered ("answered", not
# "uncertain"), the share that are answerable and whose answer holds a gold: what a reader who
# takes "answered" at its word gets. short_given: of the questions answered, the share led by a
# short answer ("Mark Rutte [1]."); short_right: of those short answers, the share that name a
# gold answer of an answerable question (a wrong name in bold before a right quote counts here,
# not in trust, whose answer text holds the quote).


@dataclass
class QuestionResult:
    question: EvalQuestion
    ranking: list[str]  # SQuAD: chunk relevance flags as "1"/"0"; BEIR: article ids, best first
    rank: int | None  # first relevant position (1-based) in the top 10, None when not found
    answer: str
    abstained: bool
    evidence: float | None
    retrieve_ms: float
    answer_ms: float
    outcome: str = ""
    quotes: tuple[tuple[str, str], ...] = ()  # (article id, quoted sentence) of each citation, in order
    short: str | None = None  # the short answer that leads an answered quote, if any

    def __post_init__(self) -> None:
        if not self.outcome:
            self.outcome = "not_in_articles" if self.abstained else "answered"

    @property
    def answer_hit(self) -> bool:
        return self.outcome == "answered" and contains_answer(self.answer, self.question.golds)

    @property
    def quote_holds(self) -> bool:
        return not self.abstained and contains_answer(self.answer, self.question.golds)


@dataclass
class EvalResult:
    dataset: str
    format: str
    questions: int
    threshold: float
    results: list[QuestionResult]
    ingest: dict[str, float]
    metrics: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def score(results: list[QuestionResult], fmt: str) -> tuple[dict[str, float | None], dict[str, Any]]:
    """The headline metrics (exactly METRIC_KEYS) and the per-stage latencies."""
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    ranks = [r.rank for r in answerable]
    metrics: dict[str, float | None] = dict.fromkeys(METRIC_KEYS)
    if fmt == "beir":
        for k in (1, 5, 10):
            metrics[f"recall@{k}"] = _mean([recall_of_set(r.ranking, r.question.relevant, k) for r in results])
        metrics["ndcg@10"] = _mean([ndcg_at_k(r.ranking, r.question.relevant, 10) for r in results])
        metrics["recall@100"] = _mean([recall_of_set(r.ranking, r.question.relevant, 100) for r in results])
    elif answerable:
        for k in (1, 5, 10):
            metrics[f"recall@{k}"] = recall_at_k(ranks, k)
        metrics["answer_hit"] = rate(r.answer_hit for r in answerable)
        metrics["quote_holds"] = rate(r.quote_holds for r in answerable)
    if answerable:
        metrics["mrr"] = mean_reciprocal_rank(ranks)
    if fmt != "beir":
        for name, group in (("answerable", answerable), ("unanswerable", unanswerable)):
            if group:
                metrics[f"abstain_{name}"] = rate(r.abstained for r in group)
                metrics[f"not_answered_{name}"] = rate(r.outcome != "answered" for r in group)
                metrics[f"uncertain_{name}"] = rate(r.outcome == "uncertain" for r in group)
        answered = [r for r in results if r.outcome == "answered"]
        if answered:
            metrics["trust"] = rate(r.question.answerable and r.answer_hit for r in answered)
            metrics["short_given"] = rate(bool(r.short) for r in answered)
            metrics["short_right"] = rate(r.question.answerable and short_answer_right(r.short, r.question.golds)
                                          for r in answered if r.short)
    totals = [r.retrieve_ms + r.answer_ms for r in results]
    metrics["latency_p50_ms"], metrics["latency_p95_ms"] = percentile(totals, 50), percentile(totals, 95)
    stages = {f"{stage}_{p}_ms": percentile([getattr(r, f"{stage}_ms") for r in results], q)
              for stage in ("retrieve", "answer") for p, q in (("p50", 50), ("p95", 95))}
    return metrics, stages


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def judge_ranking(question: EvalQuestion, fmt: str, ranked: list[tuple[str, str]]) -> tuple[list[str], int | None]:
    """Score ranked (article id, chunk text) pairs: (ranking, first relevant rank in the top 10).

    BEIR: the ranking is the distinct article ids, relevant as the qrels say. SQuAD: a chunk is
    relevant when it is of the gold article and contains a gold answer; the ranking holds "1"/"0".
    Natural sets and RealTimeQA name no gold article: a chunk holding a gold answer is relevant.
    """
    if fmt == "beir":
        articles = list(dict.fromkeys(article_id for article_id, _ in ranked))
        return articles, first_relevant_rank([a in question.relevant for a in articles[:10]])
    flags = [(question.article_id is None or article_id == question.article_id)
             and contains_answer(text, question.golds) for article_id, text in ranked[:10]]
    return ["1" if f else "0" for f in flags], first_relevant_rank(flags)


def build_index(dataset: Dataset, settings: Settings, embedder: Embedder, workdir: Path) -> tuple[Assistant, dict]:
    """A fresh, isolated index of the dataset under `workdir`, and the ingest figures."""
    isolated = settings.model_copy(deep=True)
    isolated.data.dir = workdir
    isolated.store.collection = "evaluation"
    isolated.store.records_url = None  # the run's own records, in workdir
    assistant = Assistant(isolated, embedder=embedder)
    if isolated.store.backend == "milvus":
        assistant.store.reset()  # the engine outlives workdir: start from an empty collection
    started = time.perf_counter()
    added, _ = assistant.ingest_articles(dataset.articles)
    seconds = time.perf_counter() - started
    ingest = {"articles": len(dataset.articles), "chunks": added, "seconds": round(seconds, 2),
              "chunks_per_s": round(added / seconds, 1) if seconds else 0.0}
    return assistant, ingest


Judge = Callable[[EvalQuestion, list[tuple[str, str]]], tuple[list[str], int | None]]


def ask(assistant: Assistant, question: EvalQuestion, judge: Judge, depth: int = 10) -> QuestionResult:
    """One question through `Assistant.trace`, the chat's own code path, its ranking judged."""
    trace = assistant.trace(question.text, list(question.history), as_of=question.as_of, retrieve_k=depth)
    ranking, rank = judge(question, [(h.article_id, h.text) for h in trace.hits])
    answer = trace.answer
    return QuestionResult(question, ranking, rank, answer.text, answer.abstained, answer.evidence,
                          answer.timings_ms["retrieve"], answer.timings_ms["answer"], answer.outcome,
                          tuple((c.article_id, c.quote) for c in answer.citations), answer.short_answer)


def run_questions(assistant: Assistant, dataset: Dataset, questions: list[EvalQuestion], ingest: dict,
                  progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """Ask every question through `Assistant.trace`, the chat's own code path, and score."""
    depth = 100 if dataset.format == "beir" else 10
    results = []
    for n, question in enumerate(questions, start=1):
        results.append(ask(assistant, question, lambda q, ranked: judge_ranking(q, dataset.format, ranked), depth))
        if progress:
            progress(n, len(questions))
    metrics, stages = score(results, dataset.format)
    return EvalResult(dataset.name, dataset.format, len(questions), assistant.decider.threshold,
                      results, ingest, metrics, {"stages": stages})


def calibrate(results: list[QuestionResult], max_wrong_abstain: float = 0.10) -> float:
    """The highest threshold that abstains on at most `max_wrong_abstain` of the answerable
    questions whose gold evidence was retrieved (abstain when evidence < threshold)."""
    scores = sorted(r.evidence for r in results if r.question.answerable and r.evidence is not None)
    if not scores:
        raise ValueError("calibration needs answerable questions")
    allowed = int(max_wrong_abstain * len(scores))  # this many may fall under the threshold
    value = scores[allowed] if allowed < len(scores) else scores[-1]
    return math.floor(value * 10_000) / 10_000  # rounded down: never above the score it keeps
