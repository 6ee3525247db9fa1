"""One evaluation run, as `qa eval` makes it: the dataset read and sampled, a fresh isolated index
built, the questions asked through the chat's own code (again at a calibrated threshold when
asked), and the tutorial recipe beside it when asked. The CLI only shows progress and prints.

Claim sets build no index: each claim goes through the grounding check the assistant builds
(`qa.evaluation.claims`). SelQA and adversarial SQuAD are asked like SQuAD, with one quoted
sentence per answer and their own measures (`qa.evaluation.sentences`).

    >>> run = evaluate(settings, "tests/data/natural/holdout", limit=None, seed=0)
    >>> run.ours.metrics["answer_hit"], run.ingest["chunks"]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.embedding.embed import Embedder
from index.errors import QAError
from qa.api import build_embedder
from qa.config import Settings
from qa.evaluation.baseline import chroma_store, evaluate_baseline
from qa.evaluation.claims import grounding_checker, run_claims
from qa.evaluation.datasets import Format, load_dataset
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.runner import EvalResult, build_index, calibrate as pick_threshold, run_questions
from qa.evaluation.sentences import one_quote, run_selqa, run_squad_adversarial

# Formats with measures of their own: no tutorial recipe to compare with, no threshold to calibrate.
OWN_MEASURES = {"claims": "a claim set", "selqa": "SelQA", "squad-adversarial": "adversarial SQuAD"}

# (description, total or None) when a stage starts; (done) as questions are answered
OnStage = Callable[[str, int | None], Any]
OnProgress = Callable[[int], Any]


@dataclass
class Evaluation:
    dataset: Dataset
    questions: list[EvalQuestion]
    ingest: dict[str, Any]  # articles and chunks indexed
    ours: EvalResult
    baseline: EvalResult | None = None  # the LangChain tutorial recipe, with --baseline


def evaluate(settings: Settings, path: str | Path, fmt: Format | None = None, *, limit: int | None = None,
             seed: int = 0, baseline: bool = False, calibrate: bool = False, embedder: Embedder | None = None,
             on_stage: OnStage | None = None, on_progress: OnProgress | None = None) -> Evaluation:
    """Run one evaluation in a temporary directory (nothing of the user's index is touched).

    Raises:
        QAError: The dataset is missing or malformed, the recipe's package is missing (checked
            before minutes of indexing), or `baseline`/`calibrate` was asked of a format with
            measures of its own (claims, SelQA, adversarial SQuAD).
    """
    stage = on_stage or (lambda description, total: None)
    progress = on_progress or (lambda done: None)
    if baseline:
        chroma_store()
    data = load_dataset(path, fmt)
    if data.format in OWN_MEASURES and (baseline or calibrate):
        option = "--baseline" if baseline else "--calibrate"
        raise QAError(f"{option} is for SQuAD, BEIR, the natural sets and RealTimeQA; {data.name} is "
                      f"{OWN_MEASURES[data.format]}, measured on its own terms")
    questions = data.sample(limit, seed)
    embedder = embedder or build_embedder(settings)
    if data.format == "claims":
        with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
            checker = grounding_checker(settings, embedder, Path(tmp) / "project")
            stage("Checking claims", len(questions))
            ours = run_claims(checker, data, questions, lambda n, total: progress(n))
        return Evaluation(data, questions, ours.ingest, ours)
    runner = {"selqa": run_selqa, "squad-adversarial": run_squad_adversarial}.get(data.format, run_questions)
    if runner is not run_questions:
        settings = one_quote(settings)
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        stage(f"Indexing {len(data.articles)} articles", None)
        assistant, ingest = build_index(data, settings, embedder, Path(tmp) / "project")
        stage("Asking", len(questions))
        ours = runner(assistant, data, questions, ingest, lambda n, total: progress(n))
        if calibrate:
            assistant.decider.threshold = pick_threshold(ours.results)  # this run's own assistant
            stage("Asking at the calibrated threshold", len(questions))
            ours = run_questions(assistant, data, questions, ingest, lambda n, total: progress(n))
        other = None
        if baseline:
            stage("Tutorial recipe", None)
            other = evaluate_baseline(data, questions, embedder, Path(tmp) / "baseline")
    return Evaluation(data, questions, ingest, ours, other)
