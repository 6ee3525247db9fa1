"""Claim sets: generated sentences, each against the one passage it cites, through the grounding check.

A claim set (`tests/data/claims/*.jsonl`) holds one claim a line:
`{"id", "split_dir", "article", "source", "claim", "label", "kind"}`: `source` is the passage the
claim cites (consecutive sentences of the article `article` in `<split_dir>/articles/`, the split
folder found beside the claims folder or one level up), `label` is "supported" or "unsupported",
and `kind` says how the claim was written (see tests/data/claims/README.md).

Each claim goes through the grounding check exactly as a generated answer does: the text is
`claim + " [1]"` and the source is the cited source `[1]`. The check is the one the assistant
builds for `answer.mode: llm` (`qa.chain.LLMAnswerer.checker`, with the `llm` section's settings
and whatever it is given besides): this module builds that assistant, with a language model
that is never called, and takes its checker. A claim is kept when every sentence the check
reads in it is supported.

    >>> run = evaluate(settings, "tests/data/claims/test.jsonl")   # qa.evaluation.session
    >>> run.ours.metrics["unsupported_removed"], run.ours.metrics["removed_negation"]
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.embedding.embed import Embedder
from index.errors import QAError
from index.loading.load import load_file
from index.models import Article
from qa.config import Settings
from qa.evaluation.metrics import percentile, rate
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.runner import EvalResult

SUPPORTED_KINDS = ("paraphrase", "shortened", "combined", "reordered")
UNSUPPORTED_KINDS = ("negation", "entity_swap", "figure_swap", "invented_detail", "wrong_cause", "certainty",
                     "outside_knowledge", "dropped_negation")
LABELS = ("supported", "unsupported")
HEADLINE_KEYS = ("supported_kept", "unsupported_removed", "balanced_accuracy")
_FIELDS = ("id", "source", "claim", "label")


def looks_like_claims(record: dict) -> bool:
    """Whether a .jsonl record is a claim (what `qa eval` guesses the format from)."""
    return isinstance(record, dict) and "claim" in record and "label" in record and "source" in record


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise QAError(f"{path}:{n}: not JSON ({exc.msg})") from exc


def _article_file(path: Path, split_dir: str, name: str) -> Path | None:
    """The article a claim cites: `<split_dir>/articles/<name>` beside the claims folder or one up."""
    for root in (path.parent, path.parent.parent):
        candidate = root / split_dir / "articles" / name
        if candidate.is_file():
            return candidate
    return None


def load_claims(path: Path) -> Dataset:
    """A claim set as a `Dataset` whose questions are the claims (`answerable` = supported,
    `kind` = how it was written, `extra` = the source passage, the article and its title). The
    articles are those the claims cite that can be found (they give the sources' titles)."""
    questions: list[EvalQuestion] = []
    articles: dict[Path, Article] = {}
    seen: set[str] = set()
    for n, record in _jsonl(path):
        missing = [f for f in _FIELDS if not isinstance(record.get(f), str) or not record[f].strip()]
        if missing:
            raise QAError(f"{path}:{n}: a claim needs {', '.join(_FIELDS)} (missing or empty: {', '.join(missing)})")
        if record["label"] not in LABELS:
            raise QAError(f"{path}:{n}: label must be supported or unsupported, not {record['label']!r}")
        if record["id"] in seen:
            raise QAError(f"{path}:{n}: the id {record['id']!r} is used twice")
        seen.add(record["id"])
        title, file = "", None
        if record.get("split_dir") and record.get("article"):
            file = _article_file(path, record["split_dir"], record["article"])
        if file is not None:
            if file not in articles:
                articles[file] = load_file(file).articles[0]
            title = articles[file].title
        questions.append(EvalQuestion(
            id=record["id"], text=record["claim"].strip(), answerable=record["label"] == "supported",
            kind=record.get("kind", "") or "", article_id=articles[file].id if file else None,
            extra={"source": record["source"], "title": title, "article": record.get("article"),
                   "split_dir": record.get("split_dir")}))
    if not questions:
        raise QAError(f"{path}: no claims")
    return Dataset(f"claims-{path.name.split('.')[0]}", "claims", list(articles.values()), questions)


def grounding_checker(settings: Settings, embedder: Embedder, workdir: Path) -> Any:
    """The grounding check the assistant runs on generated answers, built the way it builds it.

    An assistant in `answer.mode: llm`, over an empty index in `workdir` (which must outlive
    the checker's use) and with a chat model that is never called, makes its `LLMAnswerer`;
    its `checker` is returned. So the `llm` settings (thresholds, what to do with unsupported
    sentences) and anything else the assistant gives the check (such as a verifier) are
    exactly those of the service."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from qa.api import Assistant

    isolated = settings.model_copy(deep=True)
    isolated.answer.mode = "llm"
    isolated.store.mode = "embedded"
    isolated.store.records_url = None
    isolated.store.collection = "claims"
    isolated.data.dir = workdir
    assistant = Assistant(isolated, embedder=embedder, chat_model=FakeListChatModel(responses=["(never called)"]))
    if assistant.generator is None:  # pragma: no cover - answer.mode is llm above
        raise QAError("the assistant built no language-model answerer, so there is no grounding check to run")
    return assistant.generator.checker


@dataclass
class ClaimResult:
    """One claim's verdict: kept (every sentence supported) or removed, and why."""

    question: EvalQuestion
    kept: bool
    reason: str  # the first unsupported sentence's reason ("" when kept)
    pieces: int  # sentences the check read in the claim (1 unless it split the claim)
    check_ms: float
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # per checked sentence: text, supported, reason

    @property
    def right(self) -> bool:
        return self.kept == self.question.answerable


def check_claim(checker: Any, question: EvalQuestion) -> ClaimResult:
    """`claim [1]` checked against its source as the cited source [1]."""
    from qa.llm.grounding import Source

    extra = question.extra
    started = time.perf_counter()
    checked = checker.check(f"{question.text} [1]", [Source(1, extra["source"], extra.get("title") or "")])
    elapsed = (time.perf_counter() - started) * 1000
    sentences = list(checked.sentences)
    verdicts = [{"text": s.text, "supported": bool(s.supported), "reason": s.reason or ""} for s in sentences]
    kept = bool(sentences) and all(v["supported"] for v in verdicts)
    reason = next((v["reason"] or "unsupported" for v in verdicts if not v["supported"]),
                  "" if sentences else "nothing left to check")
    if len(sentences) > 1 and not kept:
        reason = f"{reason} (the check read {len(sentences)} sentences in it)"
    return ClaimResult(question, kept, reason, len(sentences), elapsed, verdicts)


def score_claims(results: list[ClaimResult]) -> dict[str, float | None]:
    """Supported kept, unsupported removed, their mean (balanced accuracy), the share removed of
    each unsupported kind and kept of each supported kind (in the spec's order, then any other
    kind met), and the check's latency per claim."""
    supported = [r for r in results if r.question.answerable]
    unsupported = [r for r in results if not r.question.answerable]
    kept = rate(r.kept for r in supported)
    removed = rate(not r.kept for r in unsupported)
    metrics: dict[str, float | None] = {
        "supported_kept": kept, "unsupported_removed": removed,
        "balanced_accuracy": (kept + removed) / 2 if kept is not None and removed is not None else None,
    }
    for kind in _kinds(unsupported, UNSUPPORTED_KINDS):
        metrics[f"removed_{kind}"] = rate(not r.kept for r in unsupported if r.question.kind == kind)
    for kind in _kinds(supported, SUPPORTED_KINDS):
        metrics[f"kept_{kind}"] = rate(r.kept for r in supported if r.question.kind == kind)
    times = [r.check_ms for r in results]
    metrics["check_p50_ms"], metrics["check_p95_ms"] = percentile(times, 50), percentile(times, 95)
    return metrics


def _kinds(results: list[ClaimResult], order: tuple[str, ...]) -> list[str]:
    present = {r.question.kind or "unknown" for r in results}
    return [k for k in order if k in present] + sorted(present - set(order))


def counts(results: list[ClaimResult]) -> dict[str, int]:
    """How many claims of each label and kind were checked (`n_<label>`, `n_<kind>`)."""
    found: dict[str, int] = {}
    for r in results:
        label = "supported" if r.question.answerable else "unsupported"
        found[f"n_{label}"] = found.get(f"n_{label}", 0) + 1
        kind = r.question.kind or "unknown"
        found[f"n_{kind}"] = found.get(f"n_{kind}", 0) + 1
    return found


def misses(results: list[ClaimResult]) -> list[ClaimResult]:
    """Supported claims removed and unsupported ones kept, by id."""
    return sorted((r for r in results if not r.right), key=lambda r: r.question.id)


def run_claims(checker: Any, dataset: Dataset, questions: list[EvalQuestion],
               progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """Check every claim and score; the result's `extra` holds the counts and the misses."""
    results = []
    for n, question in enumerate(questions, start=1):
        results.append(check_claim(checker, question))
        if progress:
            progress(n, len(questions))
    metrics = score_claims(results)
    articles = len({q.extra.get("article") for q in questions})
    ingest = {"articles": articles, "chunks": 0, "seconds": 0.0, "chunks_per_s": 0.0}
    extra = {"counts": counts(results), "misses": [_miss(r) for r in misses(results)]}
    return EvalResult(dataset.name, "claims", len(questions), float("nan"), results, ingest, metrics, extra)


def _miss(r: ClaimResult) -> dict[str, Any]:
    q = r.question
    return {"id": q.id, "label": "supported" if q.answerable else "unsupported", "kind": q.kind,
            "claim": q.text, "verdict": "kept" if r.kept else "removed", "reason": r.reason,
            "article": q.extra.get("article")}
